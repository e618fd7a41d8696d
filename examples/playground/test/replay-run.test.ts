import { posix } from "node:path";
import { crc32 as zlibCrc32 } from "node:zlib";
import { deriveOptions, runSimulation } from "@flotilla/sim";
import { describe, expect, it } from "vitest";
import * as shimPath from "../src/node-shims/path.js";
import { crc32 as shimCrc32 } from "../src/node-shims/zlib.js";
import { parseSimCommand, ReplayCommandError, runReplay } from "../src/replay/replay-run.js";

// The replay reads a pasted `pnpm sim` command as the CLI does, and its recorder watches without
// changing the run: the fingerprint is the one runSimulation gives without it.

describe("replay", () => {
  it("reads the seed and the CLI's override flags from a pasted command", () => {
    expect(
      parseSimCommand(
        "npx pnpm@12.4.2 sim --seed 42 --nodes 5 --loss 0.1 --partition bridge --steps 900",
      ),
    ).toEqual({
      seed: 42,
      overrides: { nodeCount: 5, lossProbability: 0.1, partitionPattern: "bridge", steps: 900 },
    });
    expect(parseSimCommand("pnpm sim --seed 7 --disk memory").overrides).toEqual({
      disk: "memory",
    });
    expect(() => parseSimCommand("pnpm sim --seed 1 --frobnicate 2")).toThrow(ReplayCommandError);
    expect(() => parseSimCommand("pnpm sim --seed")).toThrow(ReplayCommandError);
  });

  it("records a run without changing it: same fingerprint and steps as runSimulation alone", async () => {
    const seed = 5;
    const plain = await runSimulation(deriveOptions(seed, { steps: 1500 }));
    const recorded = await runReplay(
      { command: `pnpm sim --seed ${seed} --steps 1500`, defect: null },
      () => 0,
    );
    expect(recorded.fingerprint).toBe(plain.fingerprint);
    expect(recorded.steps).toBe(plain.steps);
    expect(recorded.frames?.count).toBeGreaterThan(plain.coreSteps);
    const bare = await runReplay(
      { command: `pnpm sim --seed ${seed} --steps 1500`, defect: null, record: false },
      () => 0,
    );
    expect(bare.fingerprint).toBe(plain.fingerprint);
    expect(bare.frames).toBeNull();
  });
});

describe("the replay worker's node shims", () => {
  it("crc32 equals node:zlib's (whole and continued), and the path functions agree with node:path on POSIX paths", () => {
    for (const text of ["", "a", "flotilla", "x".repeat(1000), "sliced by eight: 8+7=15"]) {
      const bytes = new TextEncoder().encode(text);
      expect(shimCrc32(bytes)).toBe(zlibCrc32(bytes));
      // Continued from an earlier value, as FileStorage checksums a snapshot slice by slice.
      const cut = Math.floor(bytes.length / 3);
      const first = shimCrc32(bytes.subarray(0, cut));
      expect(shimCrc32(bytes.subarray(cut), first)).toBe(zlibCrc32(bytes));
      expect(shimCrc32(bytes, 12345)).toBe(zlibCrc32(bytes, 12345));
    }
    for (const parts of [
      ["/sim", "n1", "log"],
      ["/a/b", "../c"],
      ["/", "x"],
      ["/a/", "./b"],
      // FileStorage's calls (a normal directory and a name), and near misses of that fast path.
      ["/data", "hardstate"],
      ["/data", ".."],
      ["/data/", "x"],
      ["/", "."],
      ["/data", "a/b"],
      ["/da..ta/.x", "..y"],
    ]) {
      expect(shimPath.join(...parts)).toBe(posix.join(...parts));
      expect(shimPath.resolve(...parts)).toBe(posix.resolve(...parts));
      expect(shimPath.dirname(posix.join(...parts))).toBe(posix.dirname(posix.join(...parts)));
    }
  });
});
