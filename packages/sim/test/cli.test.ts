import { describe, expect, it } from "vitest";
import { exitCodes, main } from "../src/cli.js";
import { votesWithoutUpToDateCheck } from "../src/defects.js";
import { runFlagHelp } from "../src/flag-help.js";
import { simFlags } from "../src/flags.js";
import type { RaftCore } from "../src/raft-core.js";

async function run<S>(
  argv: string[],
  core?: RaftCore<S>,
): Promise<{ code: number; lines: string[] }> {
  const lines: string[] = [];
  const code = await main(argv, (line) => lines.push(line), core);
  return { code, lines };
}

describe("pnpm sim", () => {
  it("replays one seed, prints its options, and ends with the summary line", async () => {
    const first = await run(["--seed", "12", "--steps", "800"]);
    const again = await run(["--seed", "12", "--steps", "800"]);
    expect(first.code).toBe(exitCodes.ok);
    expect(first.lines[0]).toMatch(/^seed=12 outcome=ok steps=\d+ fingerprint=[0-9a-f]{8}$/);
    expect(first.lines.filter((l) => /^ {2}[a-zA-Z]+=/.test(l)).length).toBeGreaterThan(30);
    expect(first.lines.at(-1)).toMatch(/^seeds=1 steps=\d+ violations=0$/);
    expect(again.lines).toEqual(first.lines);
  });

  it("runs consecutive seeds quietly and counts their steps", async () => {
    const { code, lines } = await run([
      "--seed",
      "20",
      "--seeds",
      "3",
      "--steps",
      "300",
      "--nodes",
      "3",
    ]);
    expect(code).toBe(exitCodes.ok);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^seeds=3 steps=\d+ violations=0$/);
  });

  it("applies overrides and repeats them in the reproduction command of a failure", async () => {
    let found: { code: number; lines: string[] } | null = null;
    for (let seed = 1; seed <= 200 && found === null; seed++) {
      const result = await run(
        ["--seed", String(seed), "--seeds", "1", "--steps", "2000", "--nodes", "5"],
        votesWithoutUpToDateCheck,
      );
      if (result.code !== exitCodes.ok) found = result;
    }
    expect(found, "no seed in 1..200 exposed the planted defect").not.toBeNull();
    const { code, lines } = found as { code: number; lines: string[] };
    expect(code).toBe(exitCodes.correctness);
    expect(lines.some((l) => l.startsWith("VIOLATION "))).toBe(true);
    expect(lines).toContain("  nodeCount=5");
    expect(
      lines.some((l) => /^reproduce: pnpm sim --seed \d+ --steps 2000 --nodes 5$/.test(l)),
    ).toBe(true);
    expect(lines.some((l) => l.startsWith("last ") && l.endsWith(" events:"))).toBe(true);
    expect(lines.at(-1)).toMatch(/^seeds=1 steps=\d+ violations=1$/);
  });

  it("--help lists every flag with what it does, and exits 0", async () => {
    const { code, lines } = await run(["--help"]);
    expect(code).toBe(exitCodes.ok);
    const text = lines.join("\n");
    for (const flag of [...Object.keys(runFlagHelp), ...Object.keys(simFlags)]) {
      expect(text).toMatch(new RegExp(`^ {2}--${flag}\\b.* {2}\\S`, "m"));
    }
    expect(text).toMatch(/exit codes: 0 ok, 1 crash, 2 liveness, 3 correctness/);
  });

  it("--json: one summary object on stdout, the human lines on the diagnostics stream", async () => {
    const out: string[] = [];
    const diagnostics: string[] = [];
    const events: string[] = [];
    const progress = {
      start: (total: number) => events.push(`start ${total}`),
      update: (done: number, failures: number) => events.push(`update ${done} ${failures}`),
      pause: () => events.push("pause"),
      resume: () => events.push("resume"),
      stop: () => events.push("stop"),
    };
    const argv = ["--seed", "20", "--seeds", "2", "--steps", "300", "--json"];
    const code = await main(argv, (l) => out.push(l), undefined, {
      diagnostics: (l) => diagnostics.push(l),
      progress,
    });
    expect(code).toBe(exitCodes.ok);
    expect(out).toHaveLength(1);
    expect(JSON.parse(out[0] as string)).toMatchObject({
      firstSeed: 20,
      seeds: 2,
      violations: 0,
      failedSeeds: [],
      exitCode: 0,
    });
    expect(diagnostics.at(-1)).toMatch(/^seeds=2 steps=\d+ violations=0$/);
    expect(events).toEqual(["start 2", "update 1 0", "update 2 0", "stop"]);
  });

  it("exits with the usage code on bad arguments", async () => {
    expect((await run(["--steps", "many"])).code).toBe(exitCodes.usage);
    expect((await run(["--no-such-flag"])).code).toBe(exitCodes.usage);
    expect((await run(["--nodes", "8"])).code).toBe(exitCodes.usage);
  });

  it("tells crash, liveness and correctness failures apart by exit code", async () => {
    const crash = await run(["--seed", "1", "--steps", "100"], {
      init: () => 0,
      step: () => {
        throw new Error("boom");
      },
    });
    expect(crash.code).toBe(exitCodes.crash);
    expect(crash.lines.some((l) => l.startsWith("CRASH Error: boom"))).toBe(true);
    const stuck = await run(["--seed", "1", "--steps", "100"], {
      init: () => 0,
      step: (state) => ({ state, messages: [], effects: [] }),
    });
    expect(stuck.code).toBe(exitCodes.liveness);
    expect(stuck.lines.some((l) => l.startsWith("LIVENESS "))).toBe(true);
    expect(new Set(Object.values(exitCodes)).size).toBe(5);
  });
});
