// Runs one of the package's scripts (src/cli.ts, src/server.ts) as a process with the sources
// loaded through tsx, bounded by a timeout; resolves with its exit code and output.

import { execFile } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const packageDir = fileURLToPath(new URL("..", import.meta.url));

export type Run = { code: number; stdout: string; stderr: string };

export function runScript(
  script: string,
  args: readonly string[],
  env: Record<string, string> = {},
  timeoutMs = 90_000,
): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [
        "--conditions=@flotilla/source",
        "--import",
        "tsx",
        join(packageDir, "src", script),
        ...args,
      ],
      { cwd: packageDir, timeout: timeoutMs, env: { ...process.env, ...env } },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}
