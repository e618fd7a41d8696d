// InstallSnapshot's transfer (Raft paper §7) through the hand-driven cluster: the bytes in flight
// and their slow start, resends after a loss, chunks past a gap, lost, duplicated and reordered
// chunks, and a follower restarting mid-transfer.

import type { InstallSnapshot } from "@flotilla/core";
import { status, step } from "@flotilla/core/runtime";
import { describe, expect, it } from "vitest";

import {
  chunkOf,
  cut,
  isChunk,
  KiB,
  machineOf,
  n1,
  n2,
  n3,
  propose,
  rounds,
  snapshotAtCommit,
  withLeader,
  withMebibyteSnapshot,
} from "./snapshot-setup.js";

describe("InstallSnapshot", () => {
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
    const { c } = withMebibyteSnapshot();
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

  it("answers that come late cost the small resend after the silence, not a window resent", () => {
    const { c, commit } = withMebibyteSnapshot();
    c.queue = c.queue.filter((m) => m.to !== n3);
    c.tick(n1);
    let sentBytes = 0;
    const deliverQueued = () => {
      for (let pending = c.queue.length; pending > 0; pending--) {
        const m = c.deliver(0);
        if (m !== undefined && isChunk(m)) sentBytes += m.data.byteLength;
      }
    };
    let delayed = false;
    for (let round = 0; round < 40 && c.queue.some(isChunk); round++) {
      const chunks = c.queue.filter((m) => isChunk(m) && m.to === n3);
      deliverQueued();
      if (!delayed && chunks.length === 4) {
        // A full window arrived, but the follower's answers are late (it stalled, or the leader
        // did): the leader hears nothing for two heartbeats and resends from the acknowledged
        // offset; then the late answers come, and the follower answers the resent duplicate.
        const late = c.queue.filter((m) => m.from === n3);
        c.queue = c.queue.filter((m) => m.from !== n3);
        c.tick(n1, 2);
        const resent = c.queue.filter((m) => isChunk(m) && m.to === n3) as InstallSnapshot[];
        expect(resent.map((m) => m.data.byteLength)).toEqual([16 * KiB]);
        c.queue = [...late, ...c.queue.filter((m) => m.to !== n2)];
        delayed = true;
      }
      deliverQueued();
    }
    expect(delayed).toBe(true);
    expect(status(c.state(n3)).commit).toBe(commit);
    expect(sentBytes).toBe(1024 * KiB + 16 * KiB);
  });

  it("a lost tail is found by the probe's answer and resent from there, at the first silence", () => {
    const { c, commit } = withMebibyteSnapshot();
    c.queue = c.queue.filter((m) => m.to !== n3);
    c.tick(n1);
    let sentBytes = 0;
    let ticks = 0;
    const deliverQueued = () => {
      for (let pending = c.queue.length; pending > 0; pending--) {
        const m = c.deliver(0);
        if (m !== undefined && isChunk(m)) sentBytes += m.data.byteLength;
      }
    };
    let lost = false;
    for (let round = 0; round < 40 && c.queue.some(isChunk); round++) {
      const chunks = c.queue.filter((m) => isChunk(m) && m.to === n3) as InstallSnapshot[];
      if (!lost && chunks.length === 4) {
        // A whole window is lost, the last chunks of what was sent: no answer reports a gap.
        for (const m of chunks) sentBytes += m.data.byteLength;
        c.queue = c.queue.filter((m) => !chunks.includes(m as InstallSnapshot));
        c.tick(n1, 2);
        ticks += 2;
        lost = true;
      }
      deliverQueued();
      deliverQueued();
    }
    expect(lost).toBe(true);
    expect(ticks).toBe(2); // the probe's answer started the resend: no second silence
    expect(status(c.state(n3)).commit).toBe(commit);
    // The lost window once more: the probe's 16 KiB, then the rest from its end.
    expect(sentBytes).toBe(1024 * KiB + 256 * KiB);
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
});
