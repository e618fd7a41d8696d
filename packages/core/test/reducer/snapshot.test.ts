// Log compaction (Raft paper §7) through the hand-driven cluster: compaction bounds and the
// trailing window, stale snapshots, and bad snapshot messages. InstallSnapshot's transfer is in
// snapshot-transfer.test.ts, what a follower does with a snapshot in snapshot-install.test.ts.

import type { Index, InstallSnapshot, Message, Term } from "@flotilla/core";
import { status, step } from "@flotilla/core/runtime";
import { describe, expect, it } from "vitest";
import { snapshotEvent } from "../snapshot-event.js";
import type { Cluster } from "./cluster.js";

import {
  isChunk,
  machineOf,
  n1,
  n3,
  propose,
  snapshotAtCommit,
  withLeader,
} from "./snapshot-setup.js";

describe("log compaction", () => {
  it("bounds the log: after every snapshot only snapshotTrailingEntries remain before it", () => {
    const c = withLeader({ snapshotTrailingEntries: 5 }, 0);
    let longest = 0;
    for (let round = 0; round < 20; round++) {
      propose(c, 10, undefined, round * 10);
      for (const id of c.ids) {
        snapshotAtCommit(c, id);
        const s = c.state(id);
        expect(s.log.baseIndex).toBe(Math.max(0, s.snapshot!.index - 5));
        longest = Math.max(longest, s.log.length);
      }
    }
    // 201 entries went through each log (the no-op and 200 commands); never more than 15 held.
    expect(status(c.state(n1)).commit).toBe(201);
    expect(longest).toBeLessThanOrEqual(15);
  });

  it("a follower lagging within the trailing window catches up from the log, not by snapshot", () => {
    const c = withLeader({ snapshotTrailingEntries: 20 }, 20);
    propose(c, 10, n3, 20);
    snapshotAtCommit(c, n1);
    // Snapshot at 31, the log keeps 12..31; n3 holds up to 21, inside the window.
    expect(c.state(n1).log.baseIndex).toBe(11);
    expect(status(c.state(n3)).lastLogIndex).toBe(21);
    const sent: Message[] = [];
    for (let i = 0; i < 5; i++) {
      c.tickAll(1);
      sent.push(...c.queue);
      c.stabilize();
    }
    expect(sent.some(isChunk)).toBe(false);
    expect(status(c.state(n3)).commit).toBe(31);
    expect(machineOf(c, n3)).toEqual(machineOf(c, n1));
  });

  it("an older snapshot than the one held changes nothing", () => {
    const c = withLeader({ snapshotTrailingEntries: 0 }, 6);
    snapshotAtCommit(c, n1);
    const before = c.state(n1);
    const r = step(before, snapshotEvent(3, new Uint8Array([9])));
    expect(r.state.snapshot).toBe(before.snapshot);
    expect(r.state.log).toBe(before.log);
    expect(r.effects.filter((e) => e.type === "persist")).toEqual([]);
  });
});

describe("bad snapshot messages are dropped", () => {
  const base = (c: Cluster): InstallSnapshot => ({
    type: "installSnapshot",
    from: n1,
    to: n3,
    term: c.state(n3).term as Term,
    snapshotIndex: 50 as Index,
    snapshotTerm: 1 as Term,
    membership: status(c.state(n3)).membership,
    size: 10,
    checksum: 0,
    offset: 0,
    data: new Uint8Array(5),
    done: false,
    seq: 1,
  });
  const cases: Array<[string, (m: InstallSnapshot) => InstallSnapshot, RegExp]> = [
    ["offset past what was received", (m) => ({ ...m, offset: 3 }), /offset 3/],
    ["a last chunk short of the size", (m) => ({ ...m, done: true }), /not at the snapshot size/],
    ["a chunk beyond the size", (m) => ({ ...m, data: new Uint8Array(11) }), /beyond the snapshot/],
    ["an absurd size", (m) => ({ ...m, size: Number.MAX_SAFE_INTEGER }), /beyond 4294967296/],
    [
      "a snapshot term above the message term",
      (m) => ({ ...m, snapshotTerm: 99 as Term }),
      /snapshotTerm/,
    ],
    ["data that is not bytes", (m) => ({ ...m, data: [1, 2] as unknown as Uint8Array }), /data/],
  ];
  for (const [name, mutate, reason] of cases) {
    it(name, () => {
      const c = withLeader({}, 1);
      const before = c.state(n3);
      const r = step(before, { type: "receive", message: mutate(base(c)) });
      expect(r.state).toBe(before);
      expect(r.effects).toEqual([
        expect.objectContaining({ type: "dropped", reason: expect.stringMatching(reason) }),
      ]);
    });
  }
});
