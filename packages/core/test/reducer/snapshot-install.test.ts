// What a follower does with an InstallSnapshot (Raft paper §7) through the hand-driven cluster:
// catch-up after a long partition, a newer snapshot superseding an older transfer, a snapshot
// older than its state, a restart from an installed snapshot, a conflicting log truncated in the
// snapshot's write, and bytes that do not match the leader's checksum.

import type { Index, InstallSnapshot, Message, Term } from "@flotilla/core";
import { type RaftStateInternals, status, step } from "@flotilla/core/runtime";
import { describe, expect, it } from "vitest";
import { crc32 } from "../../src/crc32.js";

import {
  chunkOf,
  isChunk,
  machineOf,
  n1,
  n2,
  n3,
  propose,
  rounds,
  snapshotAtCommit,
  withLeader,
} from "./snapshot-setup.js";

describe("InstallSnapshot", () => {
  it("brings a follower back after a long partition: the leader's commit and state", () => {
    const c = withLeader({ snapshotTrailingEntries: 3, snapshotChunkBytesMax: 4 }, 2);
    propose(c, 40, n3, 2);
    snapshotAtCommit(c, n1);
    propose(c, 5, n3, 42); // entries after the snapshot, replicated from the log afterwards
    const sent: Message[] = [];
    for (let i = 0; i < 10; i++) {
      c.tickAll(1);
      sent.push(...c.queue);
      c.stabilize((m) => {
        sent.push(m);
        return false;
      });
    }
    const chunks = sent.filter(isChunk);
    expect(chunks.length).toBeGreaterThanOrEqual(Math.ceil(42 / 4));
    expect(chunks.every((m) => m.data.byteLength <= 4)).toBe(true);
    expect(status(c.state(n3)).commit).toBe(status(c.state(n1)).commit);
    expect(c.restored.get(n3)!.map((s) => s.index)).toEqual([c.state(n1).snapshot!.index]);
    expect(machineOf(c, n3)).toEqual(machineOf(c, n1));
    expect(status(c.state(n1)).progress![n3]!.state).toBe("replicate");
    c.checkCommittedPrefixes();
  });

  it("a newer snapshot supersedes the transfer of an older one", () => {
    const c = withLeader({ snapshotTrailingEntries: 0, snapshotChunkBytesMax: 2 }, 1);
    propose(c, 20, n3, 1);
    snapshotAtCommit(c, n1);
    c.tick(n1);
    c.stabilize(); // some chunks of the first snapshot arrive
    propose(c, 10, n3, 21);
    snapshotAtCommit(c, n1);
    rounds(c, 40);
    const installed = c.restored.get(n3)!.map((s) => s.index);
    expect(installed.at(-1)).toBe(c.state(n1).snapshot!.index);
    expect(machineOf(c, n3)).toEqual(machineOf(c, n1));
  });

  it("a snapshot older than the follower's state is answered done, without going back", () => {
    const c = withLeader({}, 8);
    const before = c.state(n2);
    const message: InstallSnapshot = {
      type: "installSnapshot",
      from: n1,
      to: n2,
      term: before.term as Term,
      snapshotIndex: 4 as Index,
      snapshotTerm: 1 as Term,
      membership: status(before).membership,
      size: 1,
      checksum: crc32(new Uint8Array([7])),
      offset: 0,
      data: new Uint8Array([7]),
      done: true,
      seq: 1000,
    };
    const r = step(before, { type: "receive", message });
    expect(r.state.commit).toBe(before.commit);
    expect(r.state.log).toBe(before.log);
    expect(r.effects.some((e) => e.type === "restore")).toBe(false);
    const persist = r.effects.find((e) => e.type === "persist");
    expect(persist?.type === "persist" && persist.then).toEqual([
      expect.objectContaining({ type: "installSnapshotResponse", done: true, snapshotIndex: 4 }),
    ]);
  });

  it("a follower restarts from an installed snapshot plus the log after it", () => {
    const c = withLeader({ snapshotTrailingEntries: 0 }, 1);
    propose(c, 12, n3, 1);
    snapshotAtCommit(c, n1);
    propose(c, 3, n3, 13);
    rounds(c, 10);
    const leaderCommit = status(c.state(n1)).commit;
    expect(status(c.state(n3)).commit).toBe(leaderCommit);
    c.restart(n3);
    const s = c.state(n3);
    expect(s.log.baseIndex).toBe(c.state(n1).snapshot!.index);
    expect(s.snapshot).toEqual(c.state(n1).snapshot);
    expect(status(s).lastLogIndex).toBe(leaderCommit);
    rounds(c, 5);
    propose(c, 2, undefined, 16);
    rounds(c, 2);
    expect(status(c.state(n3)).commit).toBe(leaderCommit + 2);
    c.checkCommittedPrefixes();
  });

  it("installing over a conflicting log truncates it in the same write as the snapshot", () => {
    const c = withLeader({ snapshotTrailingEntries: 0 }, 2);
    const follower: RaftStateInternals = c.state(n3);
    // n3 holds two uncommitted entries of term 1; a leader of term 2 has a snapshot whose last
    // entry, at the first of them, is of term 2: they conflict and both must go.
    const last = follower.log.lastIndex;
    const conflicting = {
      ...follower,
      log: follower.log.append([
        { kind: "noop", index: (last + 1) as Index, term: 1 as Term },
        { kind: "noop", index: (last + 2) as Index, term: 1 as Term },
      ]),
    };
    const index = last + 1;
    const message: InstallSnapshot = {
      type: "installSnapshot",
      from: n1,
      to: n3,
      term: 2 as Term,
      snapshotIndex: index as Index,
      snapshotTerm: 2 as Term,
      membership: status(follower).membership,
      size: 2,
      checksum: crc32(new Uint8Array([1, 2])),
      offset: 0,
      data: new Uint8Array([1, 2]),
      done: true,
      seq: 99,
    };
    const r = step(conflicting, { type: "receive", message });
    const persist = r.effects.find((e) => e.type === "persist");
    expect(persist).toMatchObject({ snapshot: { index }, truncateFrom: index + 1, entries: [] });
    expect(r.effects.map((e) => e.type)).toEqual([
      "writeSnapshotChunk",
      "persist",
      "restore",
      "roleChanged",
    ]);
    expect(status(r.state)).toMatchObject({ commit: index, lastLogIndex: index });
  });

  it("bytes that do not match the leader's checksum are dropped, never installed", () => {
    const c = withLeader({}, 2);
    const before = c.state(n3);
    const chunk = (offset: number, data: number[], done: boolean): InstallSnapshot => ({
      ...chunkOf(before, [1, 2, 3, 4], offset, data),
      done,
    });
    const first = step(before, { type: "receive", message: chunk(0, [1, 2], false) });
    expect(first.effects.map((e) => e.type)).toEqual(["writeSnapshotChunk"]);
    // The second half arrives damaged: everything was received, but not the leader's bytes.
    const last = step(first.state, { type: "receive", message: chunk(2, [3, 5], true) });
    expect(last.effects.map((e) => e.type)).toEqual(["writeSnapshotChunk", "dropped"]);
    expect(last.state.snapshot).toBe(before.snapshot);
    expect(last.state.commit).toBe(before.commit);
    expect(last.state.incoming).toBeNull();
    expect(last.messages).toEqual([]);
    // The same bytes, whole, are installed.
    const good = step(first.state, { type: "receive", message: chunk(2, [3, 4], true) });
    expect(good.effects.map((e) => e.type)).toContain("restore");
  });

  it("the bytes are checked with the configured CRC-32 function (config.crc32)", () => {
    const seen: number[][] = [];
    const counting = (data: Uint8Array, previous: number) => {
      seen.push([...data]);
      return crc32(data, previous);
    };
    const c = withLeader({ crc32: counting }, 2);
    const before = c.state(n3);
    const chunk = (offset: number, data: number[], done: boolean): InstallSnapshot => ({
      ...chunkOf(before, [1, 2, 3, 4], offset, data),
      done,
    });
    const first = step(before, { type: "receive", message: chunk(0, [1, 2], false) });
    const last = step(first.state, { type: "receive", message: chunk(2, [3, 4], true) });
    expect(last.effects.map((e) => e.type)).toContain("restore");
    expect(seen).toEqual([
      [1, 2],
      [3, 4],
    ]);
    // One that disagrees with the leader's CRC-32 refuses the same bytes.
    const wrong = withLeader({ crc32: () => 0 }, 2).state(n3);
    const refused = step(step(wrong, { type: "receive", message: chunk(0, [1, 2], false) }).state, {
      type: "receive",
      message: chunk(2, [3, 4], true),
    });
    expect(refused.effects.map((e) => e.type)).toEqual(["writeSnapshotChunk", "dropped"]);
  });
});
