// node:path for the replay worker: the simulator's FileStorage runs on a simulated file system
// whose paths are POSIX and absolute, so join, dirname and resolve on "/"-paths are all it needs.

function normalize(path: string): string {
  const parts: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") parts.pop();
    else parts.push(part);
  }
  return `${path.startsWith("/") ? "/" : ""}${parts.join("/")}` || ".";
}

export function join(...paths: string[]): string {
  // FileStorage's every call: an absolute directory and a file name, already normal.
  if (paths.length === 2 && isNormalAbsolute(paths[0]!) && isName(paths[1]!)) {
    return paths[0] === "/" ? `/${paths[1]}` : `${paths[0]}/${paths[1]}`;
  }
  return normalize(paths.filter((p) => p !== "").join("/"));
}

/** "/" or "/a/b" with no empty, "." or ".." segment: what normalize returns it as. */
function isNormalAbsolute(path: string): boolean {
  return path === "/" || (path.startsWith("/") && path.slice(1).split("/").every(isName));
}

/** One path segment that normalize keeps as it is. */
function isName(segment: string): boolean {
  return segment !== "" && segment !== "." && segment !== ".." && !segment.includes("/");
}

export function resolve(...paths: string[]): string {
  let resolved = "";
  for (const path of paths) resolved = path.startsWith("/") ? path : `${resolved}/${path}`;
  return normalize(resolved.startsWith("/") ? resolved : `/${resolved}`);
}

export function dirname(path: string): string {
  const normalized = normalize(path);
  const slash = normalized.lastIndexOf("/");
  return slash < 0 ? "." : slash === 0 ? "/" : normalized.slice(0, slash);
}

export default { join, resolve, dirname };
