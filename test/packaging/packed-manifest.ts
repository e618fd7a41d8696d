// What a packed package.json must say for npm, Node and TypeScript users outside the workspace.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

type Manifest = {
  readonly name: string;
  readonly version: string;
  readonly license?: string;
  readonly sideEffects?: boolean;
  readonly engines?: Readonly<Record<string, string>>;
  readonly exports?: Readonly<Record<string, unknown>>;
  readonly dependencies?: Readonly<Record<string, string>>;
};

export function readManifest(packageDir: string): Manifest {
  return JSON.parse(readFileSync(join(packageDir, "package.json"), "utf8")) as Manifest;
}

/** Every problem with an unpacked package (the `package/` folder of its tarball); [] if none. */
export function manifestProblems(packageDir: string): string[] {
  const manifest = readManifest(packageDir);
  const problems: string[] = [];
  for (const file of ["LICENSE", "README.md", "dist/index.js", "dist/index.d.ts"]) {
    if (!existsSync(join(packageDir, file))) problems.push(`${file} is missing`);
  }
  if (manifest.license !== "MIT") problems.push(`license is ${manifest.license}`);
  if (manifest.sideEffects !== false) problems.push("sideEffects is not false");
  for (const [name, range] of Object.entries(manifest.dependencies ?? {})) {
    if (range.startsWith("workspace:")) problems.push(`dependency ${name} is ${range}`);
  }
  for (const [subpath, target] of Object.entries(manifest.exports ?? {})) {
    problems.push(...exportProblems(packageDir, subpath, target));
  }
  return problems;
}

function exportProblems(packageDir: string, subpath: string, target: unknown): string[] {
  if (target === null) return []; // a blocked subpath ("./internal/*": null)
  if (typeof target === "string") {
    return existsSync(join(packageDir, target)) ? [] : [`exports["${subpath}"]: ${target} missing`];
  }
  const conditions = Object.entries(target as Record<string, string>);
  const problems: string[] = [];
  // TypeScript takes the first condition that matches, so `types` must come before `default`.
  if (conditions[0]?.[0] !== "types") problems.push(`exports["${subpath}"]: types is not first`);
  for (const [condition, file] of conditions) {
    if (condition.startsWith("@flotilla/")) {
      problems.push(`exports["${subpath}"]: workspace-only condition ${condition}`);
    } else if (!existsSync(join(packageDir, file))) {
      problems.push(`exports["${subpath}"].${condition}: ${file} missing`);
    }
  }
  return problems;
}
