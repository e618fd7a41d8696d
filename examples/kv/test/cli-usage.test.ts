// Every mistake on the kv command line is one sentence on stderr and exit 2, with no stack trace
// and no server contacted (--servers points at a closed port); --help lists commands and flags.
import { describe, expect, it } from "vitest";
import { runScript } from "./run-script.js";

const kv = (...args: string[]) =>
  runScript("cli.ts", ["--servers", "127.0.0.1:9", ...args], {}, 60_000);

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
    [["member"], "kv: member takes list, add, promote or remove (kv --help lists the commands)\n"],
    [
      ["member", "add", "d", "--api", "8004"],
      "kv: member add needs --raft HOST:PORT (kv --help lists the commands)\n",
    ],
    [
      ["member", "add", "d", "--raft", "host", "--api", "8004"],
      'kv: --raft: expected HOST:PORT, got "host" (kv --help lists the commands)\n',
    ],
    [
      ["member", "remove", "d", "--learner"],
      "kv: --learner goes only with member add (kv --help lists the commands)\n",
    ],
    [
      ["member", "promote"],
      "kv: member promote takes ID, got 0 operands (kv --help lists the commands)\n",
    ],
    [
      ["get", "--consistency", "strong", "k"],
      'kv: --consistency: expected index, lease or log, got "strong" (kv --help lists the commands)\n',
    ],
    [
      ["put", "--consistency", "lease", "k", "v"],
      "kv: --consistency goes only with get (kv --help lists the commands)\n",
    ],
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
      "get --consistency index|lease|log KEY",
      "cas KEY OLD NEW",
      "status",
      "member list",
      "member add ID --raft HOST:PORT --api HOST:PORT [--learner]",
      "member promote ID",
      "member remove ID",
      "--servers",
      "--timeout-ms",
      "--consistency",
      "--help",
    ]) {
      expect(result.stdout).toContain(word);
    }
  }, 90_000);
});
