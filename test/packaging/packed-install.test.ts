// The packages as a user gets them: `pnpm pack` every published package, install the tarballs with
// plain npm into a scratch project outside the workspace, then compile the README's example there
// under `moduleResolution: node16` and `bundler` and run it with plain Node. Nothing here sees the
// workspace's sources or its "@flotilla/source" condition. npm fetches only mitt, the one
// third-party dependency (from its cache when it has it).
import { existsSync, readdirSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { manifestProblems, readManifest } from "./packed-manifest.js";
import { expectSuccess, runCommand } from "./run-command.js";

const workspace = fileURLToPath(new URL("../..", import.meta.url));
const tsc = join(workspace, "node_modules", "typescript", "bin", "tsc");
// Every package under packages/ is published; only these need Node (node:dgram, node:fs, a CLI).
const published = readdirSync(join(workspace, "packages")).filter((name) =>
  existsSync(join(workspace, "packages", name, "package.json")),
);
const nodeOnly = new Set(["storage-file", "transport-udp", "sim"]);
const pnpm = ["--yes", "pnpm@12.4.2"];
let scratch: string;
let tarballs: string[];

/** The first ```ts block after the README's "A small example" heading. */
async function readmeExample(): Promise<string> {
  const readme = await readFile(join(workspace, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("## A small example"));
  const match = /```ts\n([\s\S]*?)```/.exec(section);
  if (match?.[1] === undefined) throw new Error("README.md: no ts block under A small example");
  return match[1];
}

const compilerOptions = {
  target: "es2022",
  // No @types/node: core and transport-memory must typecheck for a browser or worker user too.
  lib: ["es2022", "dom"],
  types: [],
  strict: true,
  exactOptionalPropertyTypes: true,
  // Check the shipped .d.ts files as well, not only the example.
  skipLibCheck: false,
};

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "flotilla-packed-"));
  const packs = join(scratch, "tarballs");
  await mkdir(packs);
  expectSuccess(
    "pnpm build",
    await runCommand("npx", [...pnpm, "build"], { cwd: workspace, timeoutMs: 120_000 }),
  );
  const filter = published.flatMap((name) => ["--filter", `./packages/${name}`]);
  const pack = ["-r", "--workspace-concurrency=1", ...filter, "pack", "--pack-destination", packs];
  expectSuccess(
    "pnpm pack",
    await runCommand("npx", [...pnpm, ...pack], { cwd: workspace, timeoutMs: 120_000 }),
  );
  tarballs = (await readdir(packs))
    .filter((file) => file.endsWith(".tgz"))
    .map((file) => join(packs, file));

  const project = join(scratch, "project");
  await mkdir(project);
  await writeFile(
    join(project, "package.json"),
    JSON.stringify({ name: "scratch", private: true, type: "module" }),
  );
  const install = [
    "install",
    "--prefer-offline",
    "--no-audit",
    "--no-fund",
    "--ignore-scripts",
    ...tarballs,
  ];
  expectSuccess(
    "npm install",
    await runCommand("npm", install, { cwd: project, timeoutMs: 180_000 }),
  );
  await writeFile(join(project, "example.ts"), await readmeExample());
  const node16 = {
    ...compilerOptions,
    module: "node16",
    moduleResolution: "node16",
    rootDir: ".",
    outDir: "out",
  };
  const bundler = {
    ...compilerOptions,
    module: "preserve",
    moduleResolution: "bundler",
    noEmit: true,
  };
  for (const [name, options] of [
    ["node16", node16],
    ["bundler", bundler],
  ] as const) {
    const config = { compilerOptions: options, files: ["example.ts"] };
    await writeFile(join(project, `tsconfig.${name}.json`), JSON.stringify(config, null, 2));
  }
}, 400_000);

afterAll(async () => {
  if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
});

describe("the packed packages", () => {
  it("pack one tarball per published package", () => {
    expect(tarballs.map((file) => file.replace(/.*\/flotilla-/, ""))).toHaveLength(
      published.length,
    );
  });

  it.each(published)(
    "@flotilla/%s: manifest, LICENSE, README and dist as npm users need",
    async (name) => {
      const unpacked = join(scratch, "project", "node_modules", "@flotilla", name);
      expect(manifestProblems(unpacked)).toEqual([]);
      // publishConfig.exports replaces the workspace's map when packing: no subpath may go missing.
      const workspaceExports = readManifest(join(workspace, "packages", name)).exports ?? {};
      expect(Object.keys(readManifest(unpacked).exports ?? {})).toEqual(
        Object.keys(workspaceExports),
      );
      expect(readManifest(unpacked).engines?.node !== undefined).toBe(nodeOnly.has(name));
    },
  );

  it("the README example typechecks with moduleResolution node16 and bundler", async () => {
    const project = join(scratch, "project");
    for (const config of ["tsconfig.node16.json", "tsconfig.bundler.json"]) {
      const result = await runCommand(process.execPath, [tsc, "-p", config], {
        cwd: project,
        timeoutMs: 120_000,
      });
      expect(`${config}: ${result.stdout}${result.stderr}`.trim()).toBe(`${config}:`);
      expect(result.code).toBe(0);
    }
  });

  it("the README example runs with plain Node and prints the committed total", async () => {
    const project = join(scratch, "project");
    const result = await runCommand(process.execPath, ["out/example.js"], {
      cwd: project,
      timeoutMs: 60_000,
    });
    expect(result.stderr).toBe("");
    expect(result.stdout.trim()).toBe("5");
  });

  it("every package loads in plain Node and has its main entry points", async () => {
    const script = [
      'import { createNode } from "@flotilla/core";',
      'import { Network } from "@flotilla/transport-memory";',
      'import { openFileStorage } from "@flotilla/storage-file";',
      'import { createUdpTransport } from "@flotilla/transport-udp";',
      'import { KvStateMachine } from "@flotilla/kv-model";',
      'import { runSimulation } from "@flotilla/sim";',
      // core's entry points for each audience besides the driver at the root.
      'import { step } from "@flotilla/core/reducer";',
      'import { decodeMessage } from "@flotilla/core/codec";',
      'import { checkPersistBatch } from "@flotilla/core/storage";',
      'import { NodeRuntime } from "@flotilla/core/runtime";',
      // the simulator's planted defects, on their own entry point for the playground.
      'import { defects } from "@flotilla/sim/defects";',
      "console.log([createNode, Network, openFileStorage, createUdpTransport, KvStateMachine, runSimulation, step, decodeMessage, checkPersistBatch, NodeRuntime, defects.acksBeforeDurable.step].map((f) => typeof f).join());",
    ].join("\n");
    const project = join(scratch, "project");
    await writeFile(join(project, "imports.mjs"), script);
    const result = await runCommand(process.execPath, ["imports.mjs"], {
      cwd: project,
      timeoutMs: 30_000,
    });
    expect(result.stderr).toBe("");
    expect(result.stdout.trim()).toBe(Array(11).fill("function").join());
  });
});
