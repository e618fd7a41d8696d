// `pnpm bench --help` and `--json` as a person and a script meet them, and a check that the help
// table describes exactly the flags each benchmark's parseArgs accepts.
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { benchHelp } from "./help.js";

const root = fileURLToPath(new URL("..", import.meta.url));

function bench(args: readonly string[]) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      ["--conditions=@flotilla/source", "--import", "tsx", "bench/run.ts", ...args],
      { cwd: root, timeout: 90_000, killSignal: "SIGKILL" },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** The option names in a source file's parseArgs `options: { ... }` block(s). */
async function parsedFlags(file: string): Promise<string[]> {
  const source = await readFile(new URL(file, import.meta.url), "utf8");
  // --help is run.ts's (commonFlags), whether or not a benchmark also declares it.
  return [...source.matchAll(/[\s{]"?([a-z][a-z0-9-]*)"?: \{ type: "(?:string|boolean)"/g)]
    .map((m) => m[1] as string)
    .filter((flag) => flag !== "help");
}

describe("pnpm bench", () => {
  it("describes every flag of every benchmark, and no flag a benchmark does not take", async () => {
    const run = await readFile(new URL("./run.ts", import.meta.url), "utf8");
    const table = [...run.matchAll(/^\s+"?([a-z-]+)"?: "\.\/([a-z-]+\.ts)",$/gm)];
    expect(table.length).toBeGreaterThan(5);
    for (const [, name, file] of table) {
      const help = benchHelp[name as string];
      expect(help, `bench/help.ts has no entry for ${name}`).toBeDefined();
      expect(Object.keys(help?.flags ?? {}).sort(), `flags of bench ${name}`).toEqual(
        (await parsedFlags(`./${file}`)).sort(),
      );
    }
  });

  it("--help lists the benchmarks, NAME --help its flags; mistakes are one sentence and exit 2", async () => {
    const list = await bench(["--help"]);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^ {2}codec +encode and decode throughput/m);
    const codec = await bench(["codec", "--help"]);
    expect(codec.code).toBe(0);
    expect(codec.stdout).toMatch(/--entries +entries per message \(default 64\)/);
    expect(codec.stdout).toMatch(/--json +print only the final JSON line/);
    const unknown = await bench(["codec", "--frobnicate"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr.trim().split("\n")).toHaveLength(1);
    expect(unknown.stderr).toMatch(/^bench codec: .*frobnicate.*\(pnpm bench codec --help\)$/m);
    const nameless = await bench(["nosuch"]);
    expect(nameless.code).toBe(2);
    expect(nameless.stderr).toMatch(/^bench: no benchmark named "nosuch"/);
  }, 240_000);

  it("--json prints only the JSON line on stdout, the table on stderr", async () => {
    const result = await bench(["codec", "--json", "--ms", "50"]);
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(Object.keys(JSON.parse(lines[0] as string))).not.toHaveLength(0);
    expect(result.stderr.length).toBeGreaterThan(0);
  }, 120_000);
});
