// The default snapshot policy scales with the state (issue 11): a snapshot is taken once the
// commands applied since the last one hold `snapshotLogRatio` times that snapshot's size (and at
// least `snapshotLogBytesMin`), so the gaps between snapshots grow with the state instead of
// rewriting a large state every N writes. A fixed `snapshotEveryEntries` replaces it.

import { describe, expect, it } from "vitest";
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

/**
 * The indexes a proportional policy must snapshot at, for `count` commands proposed one by one
 * after the leader's no-op at index 1.
 */
function expectedSnapshots(count: number, ratio: number, minBytes: number): number[] {
  const taken: number[] = [];
  let snapshotBytes = 0;
  let stateBytes = 0;
  let since = 0;
  for (let k = 0; k < count; k++) {
    const index = k + 2;
    stateBytes += lineBytes(index, k);
    since += commandBytes;
    if (since >= Math.max(minBytes, ratio * snapshotBytes)) {
      taken.push(index);
      snapshotBytes = stateBytes;
      since = 0;
    }
  }
  return taken;
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
    const taken = await snapshotsOf(300, { snapshotLogRatio: 1, snapshotLogBytesMin: 100 });
    const expected = expectedSnapshots(300, 1, 100);
    expect(taken).toEqual(expected);
    // The gaps grow with the state: 10 commands, then 35, then 158 (each snapshot line is ~3.5x
    // a command's bytes).
    expect(expected.length).toBe(3);
    expect(expected[2]! - expected[1]!).toBeGreaterThan(3 * (expected[1]! - expected[0]!));
  });

  it("the floor alone decides while snapshots are small", async () => {
    const taken = await snapshotsOf(60, { snapshotLogRatio: 0.01, snapshotLogBytesMin: 200 });
    expect(taken).toEqual([21, 41, 61]);
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
