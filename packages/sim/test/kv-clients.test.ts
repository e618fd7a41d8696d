import { Prng } from "@flotilla/transport-memory";
import { describe, expect, it } from "vitest";
import type { ClientEventKind, ClientHost } from "../src/kv-client-host.js";
import { KvClients } from "../src/kv-clients.js";

// The simulated clients answer an operation by how its proposal settled. The settlement rules
// themselves (an entry lost to another leader's, a snapshot over the slot, a leader stepping down)
// are the driver's ProposalRegistry's, which each simulated node runs (core's driver tests pin
// them); these tests pin what a client makes of each outcome.

type Pending = { atMs: number; kind: ClientEventKind; client: number; token: number };

/** One client, two nodes; every proposal is recorded and waits for the test to settle it. */
function harness() {
  let nowMs = 0;
  const queue: Pending[] = [];
  const proposals: string[] = [];
  const traced: string[] = [];
  const host: ClientHost = {
    nodeCount: 2,
    nowMs: () => nowMs,
    schedule: (atMs, kind, client, token) => {
      queue.push({ atMs, kind, client, token });
    },
    isUp: () => true,
    propose: (node, id) => {
      proposals.push(`n${node + 1} ${id}`);
    },
    read: () => {
      throw new Error("no reads in this harness (readShare 0)");
    },
    trace: (detail) => traced.push(detail),
    whoLeads: () => null,
  };
  const clients = new KvClients(
    host,
    {
      clientCount: 1,
      keyCount: 1,
      thinkMeanMs: 0,
      latencyMinMs: 1,
      latencyMaxMs: 1,
      operationTimeoutMs: 1_000,
      retryBackoffMs: 10,
      readShare: 0,
      readAnyNodeShare: 1 / 3,
      leaseReads: false,
      stallMs: 0,
      readOnlyClients: 0,
      readerThinkMeanMs: 0,
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
  /** The proposal id of the latest attempt. */
  const lastId = () => (proposals.at(-1) as string).split(" ")[1] as string;
  return { clients, proposals, traced, runUntil, lastId };
}

describe("a settled proposal", () => {
  it("answers the client with the state machine's output", () => {
    const h = harness();
    h.clients.start();
    h.runUntil(5);
    h.clients.settled(h.lastId(), { kind: "ok", output: { op: "put" } });
    h.runUntil(6);
    expect(h.clients.history).toEqual([expect.objectContaining({ clientId: "c1", outcome: "ok" })]);
  });

  it("is retried at the hinted leader when refused", () => {
    const h = harness();
    h.clients.start();
    h.runUntil(5);
    expect(h.proposals).toEqual(["n1 c1.1.1"]);
    h.clients.settled(h.lastId(), { kind: "retry", leader: 1, reason: "notLeader" });
    h.runUntil(50);
    expect(h.proposals).toEqual(["n1 c1.1.1", "n2 c1.1.2"]);
    expect(h.clients.history).toEqual([]);
  });

  it("with an unknown outcome is indeterminate, and after the heal not a liveness failure", () => {
    const h = harness();
    h.clients.start();
    h.clients.healed(2);
    h.runUntil(5);
    h.clients.settled(h.lastId(), { kind: "unknown", reason: "STEPPED_DOWN" });
    h.runUntil(50);
    expect(h.clients.history).toEqual([
      expect.objectContaining({ clientId: "c1", outcome: "indeterminate" }),
    ]);
    expect(h.clients.livenessFailure).toBeNull();
    // The client moved on to its next operation.
    expect(h.proposals.at(-1)).toMatch(/^n1 c1\.2\./);
  });

  it("of an earlier attempt is ignored", () => {
    const h = harness();
    h.clients.start();
    h.runUntil(5);
    const first = h.lastId();
    h.clients.settled(first, { kind: "retry", leader: null, reason: "entry 3/1 lost" });
    h.runUntil(50);
    h.clients.settled(first, { kind: "ok", output: { op: "put" } });
    h.runUntil(60);
    expect(h.clients.history).toEqual([]);
  });
});

describe("a node that crashes with the proposal", () => {
  it("leaves the operation indeterminate", () => {
    const h = harness();
    h.clients.start();
    h.runUntil(5);
    h.clients.nodeCrashed(0);
    expect(h.clients.history).toEqual([
      expect.objectContaining({ clientId: "c1", outcome: "indeterminate" }),
    ]);
  });
});

describe("after the heal", () => {
  it("an operation has the liveness budget, not the operation timeout", () => {
    const h = harness();
    h.clients.start();
    h.clients.healed(1);
    h.runUntil(5_000);
    expect(h.clients.livenessFailure).toBeNull();
    expect(h.clients.describeProgress()).toContain("proposed");
  });

  it("an operation invoked before it still times out as indeterminate", () => {
    const h = harness();
    h.clients.start();
    h.runUntil(5_000);
    expect(h.clients.history[0]).toEqual(
      expect.objectContaining({ clientId: "c1", outcome: "indeterminate" }),
    );
  });
});
