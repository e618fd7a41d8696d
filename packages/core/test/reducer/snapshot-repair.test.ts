// Issue 11: a follower whose storage found its snapshot's bytes damaged (quarantined at open)
// keeps its hard state, its log and the snapshot's metadata, so every vote and acknowledgement it
// gave still holds. It applies nothing and never campaigns until a leader sent it a snapshot at or
// past its own; the leader takes a fresh one when its own does not reach that far
// (docs/architecture.md, "A snapshot whose bytes were lost").

import { type Effect, type Message, nodeId } from "@flotilla/core";
import { status } from "@flotilla/core/runtime";
import { describe, expect, it } from "vitest";
import { Cluster } from "./cluster.js";

const [n1, n2] = [nodeId("n1"), nodeId("n2")];

function propose(c: Cluster, from: number, count: number): void {
  for (let i = from; i < from + count; i++) {
    c.step(n1, { type: "propose", id: `p${i}`, data: new Uint8Array([i]) });
    c.stabilize();
  }
}

/** The application applied everything committed on `id` and snapshotted it there. */
function snapshotAtCommit(c: Cluster, id: typeof n1): void {
  const commit = status(c.state(id)).commit;
  c.step(id, { type: "applied", index: commit });
  c.takeSnapshot(id, commit, new Uint8Array([commit]));
}

function effectsOf(c: Cluster, id: typeof n1, from: number): Effect[] {
  return c.effects.slice(from).flatMap((e) => (e.id === id ? [e.effect] : []));
}

/**
 * n1 leads; n2 snapshotted at `lost` and holds entries after it up to `last`; n2 restarts
 * without the snapshot's bytes.
 */
function repairing(): { c: Cluster; lost: number; last: number } {
  const c = new Cluster(3, { snapshotTrailingEntries: 0 });
  c.step(n1, { type: "campaign" });
  c.stabilize();
  propose(c, 1, 10);
  snapshotAtCommit(c, n2);
  const lost = c.state(n2).snapshot!.index;
  expect(lost).toBeGreaterThanOrEqual(10);
  propose(c, 11, 5);
  const last = status(c.state(n2)).lastLogIndex;
  expect(last).toBeGreaterThanOrEqual(lost + 5);
  c.restart(n2, true);
  return { c, lost, last };
}

describe("a follower that lost its snapshot's bytes", () => {
  it("keeps its log and commit, applies nothing and never campaigns", () => {
    const { c, lost, last } = repairing();
    const s = c.state(n2);
    expect(s.snapshotLost).toBe(true);
    expect(s.snapshot?.index).toBe(lost);
    expect(status(s).lastLogIndex).toBe(last);
    const mark = c.effects.length;
    c.tick(n2, 10 * s.config.electionTimeoutTicks);
    expect(c.queue.filter((m) => m.from === n2)).toEqual([]);
    expect(status(c.state(n2)).role).toBe("follower");
    expect(effectsOf(c, n2, mark).filter((e) => e.type === "apply")).toEqual([]);
  });

  it("asks the leader, which takes a snapshot past it and sends it; commits never go back", () => {
    const { c, lost } = repairing();
    const commitBefore = status(c.state(n2)).commit;
    const mark = c.effects.length;
    c.tickAll(c.state(n1).config.heartbeatIntervalTicks);
    const sent: Message[] = [];
    c.stabilize((m) => {
      sent.push(m);
      return false;
    });
    expect(sent.some((m) => m.type === "snapshotRequest" && m.snapshotIndex === lost)).toBe(true);
    // n1 holds no snapshot: it asks its driver for one at or past n2's, and sends none yet.
    expect(effectsOf(c, n1, mark)).toContainEqual({
      type: "snapshotWanted",
      peer: n2,
      index: lost,
    });
    expect(sent.some((m) => m.type === "installSnapshot")).toBe(false);
    snapshotAtCommit(c, n1);
    const taken = c.state(n1).snapshot!.index;
    expect(taken).toBeGreaterThan(lost);
    c.tickAll(c.state(n1).config.heartbeatIntervalTicks);
    c.stabilize();
    const s = c.state(n2);
    expect(s.snapshotLost).toBe(false);
    expect(s.snapshot?.index).toBe(taken);
    expect(c.restored.get(n2)!.at(-1)?.index).toBe(taken);
    expect(status(s).commit).toBeGreaterThanOrEqual(commitBefore);
    // Repaired: it applies what comes next, like every other node.
    propose(c, 20, 3);
    c.tickAll(c.state(n1).config.heartbeatIntervalTicks);
    c.stabilize();
    expect(c.applied.get(n2)!.length).toBe(c.applied.get(n1)!.length);
    c.checkCommittedPrefixes();
  });

  it("takes a snapshot from before its own for nothing: the log it acknowledged stays", () => {
    const { c, lost, last } = repairing();
    // A snapshot at 5 (from before n2's) would drop the entries after it that n2 acknowledged.
    const s = c.state(n2);
    c.step(n2, {
      type: "receive",
      message: {
        type: "installSnapshot",
        from: n1,
        to: n2,
        term: s.term as never,
        snapshotIndex: 5 as never,
        snapshotTerm: 1 as never,
        membership: s.membership,
        size: 1,
        checksum: 0,
        offset: 0,
        done: true,
        seq: 1,
        data: new Uint8Array([5]),
      },
    });
    const after = c.state(n2);
    expect(after.snapshotLost).toBe(true);
    expect(after.snapshot?.index).toBe(lost);
    expect(status(after).lastLogIndex).toBe(last);
  });
});
