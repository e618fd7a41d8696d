// The default snapshot policy scales with the state (issue 11): a snapshot is taken once the
// commands applied since the last one hold `snapshotLogRatio` times that snapshot's size (and at
// least `snapshotLogBytesMin`), so the gaps between snapshots grow with the state instead of
// rewriting a large state every N writes. A fixed `snapshotEveryEntries` replaces it. Each
// snapshot waits a share of that threshold drawn from the node's seed in [0.7, 1], anew after
// each snapshot, so that the nodes of a cluster do not all write theirs at once.

import { describe, expect, it } from "vitest";
import { driverDefaults } from "../../src/driver/node-options.js";
import { nextRandom } from "../../src/prng.js";
import { bytes } from "./fixtures.js";
import { singleLeader } from "./single-node.js";
import { settle } from "./virtual-clock.js";

const commandBytes = 10;
const command = (k: number) => bytes(`c${String(k).padStart(commandBytes - 1, "0")}`);

/** The bytes of LogMachine's snapshot line for the command at `index` (fixtures.ts). */
function lineBytes(index: number, k: number): number {
  const text = new TextDecoder().decode(command(k));
  return bytes(`${JSON.stringify({ index, text })}\n`).length;
}

/** The shares of the threshold a node started with `seed` waits for, one snapshot after another. */
function staggerShares(seed: number): () => number {
  let state = seed;
  return () => {
    const { state: next, value } = nextRandom(state);
    state = next;
    return 1 - driverDefaults.snapshotStaggerSpread * (value / 2 ** 32);
  };
}

/**
 * The indexes a proportional policy must snapshot at, for `count` commands proposed one by one
 * after the leader's no-op at index 1, by a node started with `seed`.
 */
function expectedSnapshots(count: number, ratio: number, minBytes: number, seed: number): number[] {
  const nextShare = staggerShares(seed);
  const taken: number[] = [];
  let snapshotBytes = 0;
  let stateBytes = 0;
  let since = 0;
  let share = nextShare();
  for (let k = 0; k < count; k++) {
    const index = k + 2;
    stateBytes += lineBytes(index, k);
    since += commandBytes;
    if (since >= share * Math.max(minBytes, ratio * snapshotBytes)) {
      taken.push(index);
      snapshotBytes = stateBytes;
      since = 0;
      share = nextShare();
    }
  }
  return taken;
}

/** The entries between snapshots, the first counted from the leader's no-op at index 1. */
function gapsOf(taken: readonly number[]): number[] {
  return taken.map((index, i) => index - (i === 0 ? 1 : taken[i - 1]!));
}

async function snapshotsOf(count: number, extra: Parameters<typeof singleLeader>[0]) {
  const t = await singleLeader(extra);
  const taken: number[] = [];
  t.node.events.on("snapshot", (event) => taken.push(event.index));
  for (let k = 0; k < count; k++) {
    await t.node.propose(command(k));
    await settle();
  }
  await t.node.stop();
  return taken;
}

describe("driver: the snapshot policy", () => {
  it("by default waits for a log of a set fraction of the last snapshot's size, with a floor", async () => {
    const options = { snapshotLogRatio: 1, snapshotLogBytesMin: 100, seed: 7 };
    const taken = await snapshotsOf(300, options);
    const expected = expectedSnapshots(300, 1, 100, 7);
    expect(taken).toEqual(expected);
    // The gaps grow with the state: 10 commands, then 35, then 158 (each snapshot line is ~3.5x
    // a command's bytes).
    expect(expected.length).toBe(3);
    expect(expected[2]! - expected[1]!).toBeGreaterThan(3 * (expected[1]! - expected[0]!));
  });

  it("the floor alone decides while snapshots are small", async () => {
    const options = { snapshotLogRatio: 0.01, snapshotLogBytesMin: 200, seed: 7 };
    const taken = await snapshotsOf(60, options);
    expect(taken).toEqual(expectedSnapshots(60, 0.01, 200, 7));
    // 20 commands of 10 bytes make the floor; each gap is 70-100% of it.
    const gaps = gapsOf(taken);
    expect(gaps.length).toBeGreaterThanOrEqual(3);
    for (const gap of gaps) {
      expect(gap).toBeGreaterThanOrEqual(14);
      expect(gap).toBeLessThanOrEqual(20);
    }
  });

  it("nodes started with other seeds snapshot at other indexes, each gap within 70-100% of the threshold", async () => {
    const options = { snapshotLogRatio: 0.01, snapshotLogBytesMin: 500 };
    const bySeed = await Promise.all(
      [1, 2, 3].map((seed) => snapshotsOf(200, { ...options, seed })),
    );
    expect(new Set(bySeed.map((taken) => taken.join())).size).toBe(3);
    for (const taken of bySeed) {
      for (const gap of gapsOf(taken)) {
        expect(gap).toBeGreaterThanOrEqual(35); // 70% of 50 commands
        expect(gap).toBeLessThanOrEqual(50);
      }
    }
  });

  it("a fixed snapshotEveryEntries replaces the proportional policy", async () => {
    const taken = await snapshotsOf(60, {
      snapshotEveryEntries: 25,
      snapshotLogRatio: 1,
      snapshotLogBytesMin: 1,
    });
    expect(taken).toEqual([25, 50]);
  });
});
