// Log compaction and InstallSnapshot (Raft paper §7) through the hand-driven cluster: compaction
// bounds and the trailing window, catch-up by snapshot, lost, duplicated and reordered chunks,
// restarts mid-transfer, stale snapshots, restart from a snapshot, and bad snapshot messages.

import {
  type Effect,
  type Index,
  type InstallSnapshot,
  type Message,
  type NodeId,
  nodeId,
  type Term,
} from "@flotilla/core";
import { type RaftStateInternals, status, step } from "@flotilla/core/runtime";
import { describe, expect, it } from "vitest";
import { crc32 } from "../../src/crc32.js";
import { snapshotEvent } from "../snapshot-event.js";
import { Cluster, type ClusterOptions } from "./cluster.js";

const [n1, n2, n3] = [nodeId("n1"), nodeId("n2"), nodeId("n3")];
const cut = (id: NodeId) => (m: Message) => m.to === id || m.from === id;
const isChunk = (m: Message): m is InstallSnapshot => m.type === "installSnapshot";

/** A cluster with n1 leading and `count` commands committed everywhere but `lagging`. */
/**
 * Leader n1's chunk of the snapshot `whole` (index 40, in the follower's term) to n3: `data` at
 * `offset`, the last chunk when it reaches the end.
 */
function chunkOf(
  follower: RaftStateInternals,
  whole: readonly number[],
  offset: number,
  data: readonly number[],
): InstallSnapshot {
  return {
    type: "installSnapshot",
    from: n1,
    to: n3,
    term: follower.term as Term,
    snapshotIndex: 40 as Index,
    snapshotTerm: follower.term as Term,
    membership: status(follower).membership,
    size: whole.length,
    checksum: crc32(new Uint8Array(whole)),
    offset,
    data: new Uint8Array(data),
    done: offset + data.length === whole.length,
    seq: 7,
  };
}

function withLeader(options: ClusterOptions, count: number, lagging?: NodeId): Cluster {
  const c = new Cluster(3, options);
  c.step(n1, { type: "campaign" });
  c.stabilize();
  propose(c, count, lagging);
  return c;
}

function propose(c: Cluster, count: number, lagging?: NodeId, from = 0): void {
  const drop = lagging === undefined ? () => false : cut(lagging);
  for (let i = 0; i < count; i++) {
    c.step(n1, { type: "propose", id: `p${from + i}`, data: new Uint8Array([(from + i) % 256]) });
    c.stabilize(drop);
  }
}

/**
 * The application's state machine in these tests: the bytes of every command applied, in order.
 * Its snapshot is exactly that byte string, so a restored follower can be compared with the leader.
 */
function machineOf(c: Cluster, id: NodeId): number[] {
  const restored = c.restored.get(id)!.at(-1);
  const out: number[] =
    restored === undefined ? [] : [...(c.snapshots.get(id)!.bytesOf(restored) ?? [])];
  const after = restored?.index ?? 0;
  for (const entry of c.applied.get(id)!) {
    if (entry.index > after && entry.kind === "command") out.push(...entry.data);
  }
  return out;
}

/** The application applied everything committed on `id` and snapshotted it there. */
function snapshotAtCommit(c: Cluster, id: NodeId): Effect[] {
  const commit = status(c.state(id)).commit;
  c.step(id, { type: "applied", index: commit });
  const data = new Uint8Array(machineOf(c, id));
  return [...c.takeSnapshot(id, commit, data).effects];
}

const KiB = 1024;

/**
 * n1 leads with 64 KiB chunks and a 256 KiB window, n3 missed the last commands, and n1 has just
 * taken a 1 MiB snapshot at its commit index: the next heartbeat starts a transfer to n3.
 */
function withMebibyteSnapshot(): { c: Cluster; commit: number } {
  const c = withLeader(
    { snapshotTrailingEntries: 0, snapshotChunkBytesMax: 64 * KiB, inflightBytesMax: 256 * KiB },
    1,
  );
  propose(c, 5, n3, 1);
  const commit = status(c.state(n1)).commit;
  c.step(n1, { type: "applied", index: commit });
  c.takeSnapshot(n1, commit, new Uint8Array(1024 * KiB).fill(7));
  return { c, commit };
}

/** Heartbeat rounds until the network is quiet, with `drop` deciding what is lost. */
function rounds(c: Cluster, count: number, drop: (m: Message) => boolean = () => false): void {
  for (let i = 0; i < count; i++) {
    c.tickAll(1);
    c.stabilize(drop);
  }
}

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

  it("keeps at most inflightBytesMax bytes in flight, and heartbeats reach the other followers meanwhile", () => {
    const c = withLeader(
      { snapshotTrailingEntries: 0, snapshotChunkBytesMax: 1, inflightBytesMax: 4 },
      1,
    );
    propose(c, 60, n3, 1);
    snapshotAtCommit(c, n1);
    // Lose every message to n3 while ticking the leader: the window bounds each burst (the first
    // send, then one resend from the acknowledged offset every two heartbeats).
    const bursts: number[] = [];
    for (let i = 0; i < 6; i++) {
      c.tick(n1);
      bursts.push(c.queue.filter((m) => m.to === n3 && isChunk(m)).length);
      expect(c.queue.some((m) => m.to === n2 && m.type === "appendEntries")).toBe(true);
      c.queue = c.queue.filter((m) => m.to !== n3);
      c.stabilize();
    }
    expect(Math.max(...bursts)).toBeLessThanOrEqual(4);
    expect(bursts.filter((n) => n > 0).length).toBeGreaterThanOrEqual(2); // resent after loss
    rounds(c, 80);
    expect(machineOf(c, n3)).toEqual(machineOf(c, n1));
  });

  it("starts a transfer with one small chunk and doubles the window per round trip up to inflightBytesMax", () => {
    const { c, commit } = withMebibyteSnapshot();
    c.queue = c.queue.filter((m) => m.to !== n3);
    c.tick(n1); // the heartbeat finds n3 behind the log's start: the transfer begins
    // One generation of messages at a time: chunks to n3, then its answers back to n1.
    const flights: number[] = [];
    for (let round = 0; round < 12 && c.queue.some(isChunk); round++) {
      const chunks = c.queue.filter((m) => isChunk(m) && m.to === n3) as InstallSnapshot[];
      flights.push(chunks.reduce((sum, m) => sum + m.data.byteLength, 0) / KiB);
      for (let generation = 0; generation < 2; generation++) {
        for (let pending = c.queue.length; pending > 0; pending--) c.deliver(0);
      }
    }
    expect(flights).toEqual([16, 32, 64, 128, 256, 256, 256, 16]);
    expect(status(c.state(n3)).commit).toBe(commit);
  });

  it("a silent follower costs one small chunk per resend, the resends ever further apart", () => {
    const { c, commit } = withMebibyteSnapshot();
    // n3 is gone: nothing reaches it. Each tick is one heartbeat interval.
    const sentAt: number[] = [];
    let bytes = 0;
    for (let t = 0; t < 19; t++) {
      c.tick(n1);
      const chunks = c.queue.filter((m) => isChunk(m) && m.to === n3) as InstallSnapshot[];
      if (chunks.length > 0) sentAt.push(t);
      for (const m of chunks) bytes += m.data.byteLength;
      c.stabilize(cut(n3));
    }
    // The first chunk, then resends after 2, 4 and 8 more heartbeats of silence (2 per interval).
    expect(sentAt).toEqual([0, 2, 4, 8, 16]);
    expect(bytes).toBe(5 * 16 * KiB);
  });

  it("one lost chunk costs one resend, not the rest of the window, and no wait for a timeout", () => {
    const { c, commit } = withMebibyteSnapshot();
    c.queue = c.queue.filter((m) => m.to !== n3);
    c.tick(n1);
    let sentBytes = 0;
    let lost = false;
    for (let round = 0; round < 20 && c.queue.some(isChunk); round++) {
      const chunks = c.queue.filter((m) => isChunk(m) && m.to === n3) as InstallSnapshot[];
      for (const m of chunks) sentBytes += m.data.byteLength;
      if (!lost && chunks.length === 4) {
        // The first chunk of a full window is lost; the three after it arrive.
        c.queue.splice(c.queue.indexOf(chunks[0]!), 1);
        lost = true;
      }
      for (let generation = 0; generation < 2; generation++) {
        for (let pending = c.queue.length; pending > 0; pending--) c.deliver(0);
      }
    }
    expect(lost).toBe(true);
    expect(status(c.state(n3)).commit).toBe(commit); // without a single tick
    expect(sentBytes).toBe(1024 * KiB + 64 * KiB);
  });

  it("a chunk past a gap is held, then written in order once the gap is filled", () => {
    const c = withLeader({}, 2);
    const before = c.state(n3);
    const bytes = [1, 2, 3, 4, 5, 6];
    const chunk = (offset: number, length: number): InstallSnapshot =>
      chunkOf(before, bytes, offset, bytes.slice(offset, offset + length));
    const first = step(before, { type: "receive", message: chunk(0, 2) });
    // The last chunk arrives before the middle one: held, and the answer names the gap.
    const early = step(first.state, { type: "receive", message: chunk(4, 2) });
    expect(early.effects).toEqual([]);
    expect(early.messages).toEqual([expect.objectContaining({ receivedBytes: 2, done: false })]);
    // A resend of the middle that overlaps the held chunk: each byte is written once, in order.
    const filled = step(early.state, { type: "receive", message: chunk(2, 3) });
    const writes = filled.effects.filter((e) => e.type === "writeSnapshotChunk");
    expect(writes.map((w) => [w.offset, [...w.data]])).toEqual([
      [2, [3, 4, 5]],
      [5, [6]],
    ]);
    expect(filled.effects.map((e) => e.type)).toContain("restore");
    expect(filled.state.snapshot?.index).toBe(40);
  });

  it("survives lost, duplicated and reordered chunks (seeded)", () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const c = withLeader({ snapshotTrailingEntries: 0, snapshotChunkBytesMax: 3 }, 1);
      propose(c, 50, n3, 1);
      snapshotAtCommit(c, n1);
      let x = seed;
      const random = () => {
        x = (Math.imul(x, 1103515245) + 12345) >>> 0;
        return x / 2 ** 32;
      };
      for (let i = 0; i < 400 && status(c.state(n3)).commit < status(c.state(n1)).commit; i++) {
        c.tickAll(1);
        for (let j = 0; j < 1000 && c.queue.length > 0; j++) {
          const m = c.queue[0]!;
          const r = random();
          if (isChunk(m) && r < 0.25)
            c.queue.shift(); // lost
          else if (isChunk(m) && r < 0.4)
            c.queue.push(m); // duplicated (and so reordered)
          else if (isChunk(m) && r < 0.5 && c.queue.length > 1)
            c.deliver(1); // reordered
          else c.deliver(0);
        }
      }
      expect(status(c.state(n3)).commit, `seed ${seed}`).toBe(status(c.state(n1)).commit);
      expect(machineOf(c, n3), `seed ${seed}`).toEqual(machineOf(c, n1));
    }
  });

  it("a follower restarting mid-transfer does not leave the leader waiting forever", () => {
    const c = withLeader({ snapshotTrailingEntries: 0, snapshotChunkBytesMax: 2 }, 1);
    propose(c, 30, n3, 1);
    snapshotAtCommit(c, n1);
    c.tick(n1);
    // Deliver the first chunk only, then n3 loses its partial copy.
    const first = c.queue.findIndex((m) => m.to === n3 && isChunk(m));
    c.deliver(first);
    expect(c.state(n3).incoming!.receivedBytes).toBeGreaterThan(0);
    c.queue = c.queue.filter((m) => m.to !== n3 && m.from !== n3);
    c.restart(n3);
    expect(c.state(n3).incoming).toBeNull();
    rounds(c, 60);
    expect(status(c.state(n3)).commit).toBe(status(c.state(n1)).commit);
    expect(machineOf(c, n3)).toEqual(machineOf(c, n1));
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
