// The clusters and helpers the snapshot tests share (snapshot.test.ts, snapshot-transfer.test.ts,
// snapshot-install.test.ts): a leader with commands committed, the application's state machine
// and its snapshots, a leader that just took a 1 MiB snapshot, and hand-made chunks.

import {
  type Effect,
  type Index,
  type InstallSnapshot,
  type Message,
  type NodeId,
  nodeId,
  type Term,
} from "@flotilla/core";
import { type RaftStateInternals, status } from "@flotilla/core/runtime";
import { crc32 } from "../../src/crc32.js";
import { Cluster, type ClusterOptions } from "./cluster.js";

/** The three nodes of the tests' clusters; n1 leads. */
export const [n1, n2, n3] = [nodeId("n1"), nodeId("n2"), nodeId("n3")];
/** Whether a message is to or from `id` (to cut it off). */
export const cut = (id: NodeId) => (m: Message) => m.to === id || m.from === id;
/** Whether a message is an InstallSnapshot chunk. */
export const isChunk = (m: Message): m is InstallSnapshot => m.type === "installSnapshot";

/**
 * Leader n1's chunk of the snapshot `whole` (index 40, in the follower's term) to n3: `data` at
 * `offset`, the last chunk when it reaches the end.
 */
export function chunkOf(
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

/** A cluster with n1 leading and `count` commands committed everywhere but `lagging`. */
export function withLeader(options: ClusterOptions, count: number, lagging?: NodeId): Cluster {
  const c = new Cluster(3, options);
  c.step(n1, { type: "campaign" });
  c.stabilize();
  propose(c, count, lagging);
  return c;
}

/** n1 commits `count` commands one by one (numbered from `from`), `lagging` cut off meanwhile. */
export function propose(c: Cluster, count: number, lagging?: NodeId, from = 0): void {
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
export function machineOf(c: Cluster, id: NodeId): number[] {
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
export function snapshotAtCommit(c: Cluster, id: NodeId): Effect[] {
  const commit = status(c.state(id)).commit;
  c.step(id, { type: "applied", index: commit });
  const data = new Uint8Array(machineOf(c, id));
  return [...c.takeSnapshot(id, commit, data).effects];
}

export const KiB = 1024;

/**
 * n1 leads with 64 KiB chunks and a 256 KiB window, n3 missed the last commands, and n1 has just
 * taken a 1 MiB snapshot at its commit index: the next heartbeat starts a transfer to n3.
 */
export function withMebibyteSnapshot(): { c: Cluster; commit: number } {
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
export function rounds(
  c: Cluster,
  count: number,
  drop: (m: Message) => boolean = () => false,
): void {
  for (let i = 0; i < count; i++) {
    c.tickAll(1);
    c.stabilize(drop);
  }
}
