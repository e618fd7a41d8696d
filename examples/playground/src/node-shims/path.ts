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
  return normalize(paths.filter((p) => p !== "").join("/"));
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
