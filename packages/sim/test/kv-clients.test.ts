import { Prng } from "@flotilla/transport-memory";
import { describe, expect, it } from "vitest";
import type { ClientEventKind, ClientHost } from "../src/kv-client-host.js";
import { KvClients } from "../src/kv-clients.js";

// The simulated clients play the node driver's part in settling proposals: these tests pin how
// an accepted proposal learns its outcome from what its node applies or restores.

type Pending = { atMs: number; kind: ClientEventKind; client: number; token: number };

/** One client, two nodes; node 0 accepts every proposal at (accept.index, accept.term). */
function harness(accept: { index: number; term: number }) {
  let nowMs = 0;
  const queue: Pending[] = [];
  const proposals: string[] = [];
  const traced: string[] = [];
  let clients: KvClients;
  const host: ClientHost = {
    nodeCount: 2,
    nowMs: () => nowMs,
    schedule: (atMs, kind, client, token) => {
      queue.push({ atMs, kind, client, token });
    },
    isUp: () => true,
    propose: (node, id) => {
      proposals.push(`n${node + 1} ${id}`);
      if (node === 0) clients.accepted(id, node, accept.index, accept.term);
      else clients.rejected(id, 0, "notLeader");
    },
    trace: (detail) => traced.push(detail),
  };
  clients = new KvClients(
    host,
    {
      clientCount: 1,
      keyCount: 1,
      thinkMeanMs: 0,
      latencyMinMs: 1,
      latencyMaxMs: 1,
      operationTimeoutMs: 1_000,
      retryBackoffMs: 10,
    },
    new Prng(7),
  );
  /** Handles every scheduled client event up to `untilMs`, in time order. */
  function runUntil(untilMs: number): void {
    for (;;) {
      queue.sort((a, b) => a.atMs - b.atMs);
      const next = queue[0];
      if (next === undefined || next.atMs > untilMs) break;
      queue.shift();
      nowMs = Math.max(nowMs, next.atMs);
      clients.on(next.kind, next.client, next.token);
    }
    nowMs = untilMs;
  }
  return { clients, proposals, traced, runUntil };
}

describe("a proposal accepted by a leader that was then deposed", () => {
  it("is retried as soon as its node commits an entry of a later term below its slot", () => {
    // c1's proposal is accepted at 11/1; the new leader of term 2 commits only up to index 10.
    const h = harness({ index: 11, term: 1 });
    h.clients.start();
    h.clients.healed(1);
    h.runUntil(5);
    expect(h.proposals).toEqual(["n1 c1.1.1"]);
    h.clients.applied(0, 10, 2, null);
    h.runUntil(50);
    // Before the fix the client waited for index 11 itself, which nothing would ever fill.
    expect(h.traced.some((line) => line.includes("slot 11 lost"))).toBe(true);
    expect(h.proposals.length).toBeGreaterThan(1);
    expect(h.clients.livenessFailure).toBeNull();
  });

  it("keeps waiting while the committed entries below its slot are of its own term", () => {
    const h = harness({ index: 11, term: 2 });
    h.clients.start();
    h.runUntil(5);
    h.clients.applied(0, 10, 2, null);
    h.runUntil(50);
    expect(h.proposals).toEqual(["n1 c1.1.1"]);
  });
});

describe("a snapshot restored over a waiting slot", () => {
  it("settles the operation as indeterminate, without failing liveness", () => {
    const h = harness({ index: 11, term: 1 });
    h.clients.start();
    h.clients.healed(2);
    h.runUntil(5);
    h.clients.restored(0, 12, 3);
    h.runUntil(50);
    expect(h.clients.history).toEqual([
      expect.objectContaining({ clientId: "c1", outcome: "indeterminate" }),
    ]);
    expect(h.clients.livenessFailure).toBeNull();
    // The client moved on to its next operation.
    expect(h.proposals.at(-1)).toMatch(/^n1 c1\.2\./);
  });

  it("tells a later slot of an earlier term that it is lost", () => {
    const h = harness({ index: 15, term: 1 });
    h.clients.start();
    h.runUntil(5);
    h.clients.restored(0, 12, 3);
    h.runUntil(50);
    expect(h.traced.some((line) => line.includes("slot 15 lost"))).toBe(true);
    expect(h.clients.history).toEqual([]);
  });
});

describe("after the heal", () => {
  it("an operation has the liveness budget, not the operation timeout", () => {
    const h = harness({ index: 11, term: 1 });
    h.clients.start();
    h.clients.healed(1);
    h.runUntil(5_000);
    expect(h.clients.livenessFailure).toBeNull();
    expect(h.clients.describeProgress()).toContain("accepted 11/1");
  });

  it("an operation invoked before it still times out as indeterminate", () => {
    const h = harness({ index: 11, term: 1 });
    h.clients.start();
    h.runUntil(5_000);
    expect(h.clients.history[0]).toEqual(
      expect.objectContaining({ clientId: "c1", outcome: "indeterminate" }),
    );
  });
});
