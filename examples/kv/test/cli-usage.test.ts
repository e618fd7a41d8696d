// Every mistake on the kv command line is one sentence on stderr and exit 2, with no stack trace
// and no server contacted (--servers points at a closed port); --help lists commands and flags.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const packageDir = fileURLToPath(new URL("..", import.meta.url));

function kv(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const script = join(packageDir, "src", "cli.ts");
  const argv = [
    "--conditions=@flotilla/source",
    "--import",
    "tsx",
    script,
    "--servers",
    "127.0.0.1:9",
    ...args,
  ];
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      argv,
      { cwd: packageDir, timeout: 60_000 },
      (error, stdout, stderr) => {
        resolve({
          code: error === null ? 0 : typeof error.code === "number" ? error.code : -1,
          stdout,
          stderr,
        });
      },
    );
  });
}

describe("kv CLI mistakes", () => {
  it.each([
    [[], "kv: no command given (kv --help lists the commands)\n"],
    [["frobnicate"], 'kv: unknown command "frobnicate" (kv --help lists the commands)\n'],
    [
      ["put", "only-key"],
      "kv: put takes KEY VALUE, got 1 operand (kv --help lists the commands)\n",
    ],
    [["put", "", "v"], "kv: the key must not be empty (kv --help lists the commands)\n"],
    [["get", ""], "kv: the key must not be empty (kv --help lists the commands)\n"],
    [
      ["--timeout-ms", "soon", "get", "k"],
      "kv: --timeout-ms: expected a positive integer (kv --help lists the commands)\n",
    ],
  ])(
    "kv %j: one sentence, exit 2",
    async (args, message) => {
      const result = await kv(...args);
      expect(result).toEqual({ code: 2, stdout: "", stderr: message });
    },
    90_000,
  );

  it("--help lists the commands and every flag", async () => {
    const result = await kv("--help");
    expect(result.code).toBe(0);
    for (const word of [
      "put KEY VALUE",
      "get KEY",
      "cas KEY OLD NEW",
      "status",
      "--servers",
      "--timeout-ms",
      "--help",
    ]) {
      expect(result.stdout).toContain(word);
    }
  }, 90_000);
});
