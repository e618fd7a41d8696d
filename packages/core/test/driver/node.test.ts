import { afterEach, describe, expect, it, vi } from "vitest";
import type { Index, Message, NodeId, Term } from "../../src/index.js";
import {
  createNode,
  NotLeaderError,
  OverloadedError,
  StoppedError,
  TimeoutError,
} from "../../src/index.js";
import { bytes, LogMachine, ObservedStorage, watch } from "./fixtures.js";
import { ProbeTransport } from "./loopback.js";
import { a, b, c, single, singleLeader, tickMs } from "./single-node.js";
import { settle } from "./virtual-clock.js";

describe("createNode: group commit and ordering", () => {
  it("writes every proposal of one turn with ONE storage.persist", async () => {
    const { node, storage, clock } = await singleLeader();
    const writesBefore = storage.batches.length;
    const proposals = Array.from({ length: 50 }, (_, k) => node.propose(bytes(`p${k}`)));
    await clock.advance(tickMs);
    const results = await Promise.all(proposals);
    expect(results).toEqual(proposals.map((_, k) => `${k + 2}:p${k}`)); // index 1 is the noop
    const withEntries = storage.batches.slice(writesBefore).filter((x) => x.entries.length > 0);
    expect(withEntries).toHaveLength(1);
    expect(withEntries[0]!.entries.map((entry) => entry.index)).toEqual(
      proposals.map((_, k) => k + 2),
    );
  });

  it("sends a vote only after the write that records it is durable", async () => {
    const { node, storage, transport } = single([a, b, c], b);
    await node.start();
    storage.hold();
    transport.inject(requestVote(a, b, 1));
    await settle();
    expect(storage.heldWrites).toBe(1);
    expect(storage.batches.at(-1)!.hardState).toEqual({ term: 1, vote: a, commit: 0 });
    expect(transport.sent.filter((m) => m.type === "requestVoteResponse")).toEqual([]);
    storage.release();
    await settle();
    expect(transport.sent.filter((m) => m.type === "requestVoteResponse")).toMatchObject([
      { from: b, to: a, term: 1, granted: true, preVote: false },
    ]);
    await node.stop();
  });

  it("acknowledges appended entries only after they are durable", async () => {
    const { node, storage, transport } = single([a, b, c], b);
    await node.start();
    storage.hold();
    transport.inject(
      appendEntries(a, b, 1, [{ kind: "noop", index: 1 as Index, term: 1 as Term }]),
    );
    await settle();
    expect(storage.heldWrites).toBe(1);
    expect(transport.sent.filter((m) => m.type === "appendEntriesResponse")).toEqual([]);
    storage.release();
    await settle();
    expect(transport.sent.filter((m) => m.type === "appendEntriesResponse")).toMatchObject([
      { from: b, to: a, success: true, matchIndex: 1 },
    ]);
    await node.stop();
  });

  it("holds an acknowledgement that relies on an earlier step's write in the same turn", async () => {
    const { node, storage, transport } = single([a, b, c], b);
    await node.start();
    storage.hold();
    const append = appendEntries(a, b, 1, [{ kind: "noop", index: 1 as Index, term: 1 as Term }]);
    // The same AppendEntries twice (a duplicating network), in one turn: the second brings
    // nothing new, but acknowledging it promises entry 1, whose write is still in flight.
    transport.inject(append);
    transport.inject(append);
    await settle();
    expect(storage.heldWrites).toBe(1);
    expect(transport.sent.filter((m) => m.type === "appendEntriesResponse")).toEqual([]);
    storage.release();
    await settle();
    expect(transport.sent.filter((m) => m.type === "appendEntriesResponse")).toMatchObject([
      { success: true, matchIndex: 1 },
      { success: true, matchIndex: 1 },
    ]);
    await node.stop();
  });

  it("holds a repeated vote grant until the vote is durable", async () => {
    const { node, storage, transport } = single([a, b, c], b);
    await node.start();
    storage.hold();
    transport.inject(requestVote(a, b, 1));
    transport.inject(requestVote(a, b, 1));
    await settle();
    expect(transport.sent.filter((m) => m.type === "requestVoteResponse")).toEqual([]);
    storage.release();
    await settle();
    expect(transport.sent.filter((m) => m.type === "requestVoteResponse")).toMatchObject([
      { granted: true },
      { granted: true },
    ]);
    await node.stop();
  });

  it("lets a leader replicate while its own write is still in flight", async () => {
    const { node, storage, transport, clock } = single([a, b, c], a);
    await node.start();
    node.campaign();
    await settle();
    for (const peer of [b, c]) transport.inject(voteGranted(peer, a, 1));
    await settle();
    expect(node.status().role).toBe("leader");
    // The followers acknowledge the leader's noop, so it replicates to them at full speed.
    for (const m of transport.sent) {
      if (m.type === "appendEntries") transport.inject(appendAck(m.to, a, 1, 1, m.seq));
    }
    await settle();
    storage.hold();
    transport.sent.length = 0;
    const proposal = watch(node.propose(bytes("x")));
    await clock.advance(0);
    expect(storage.heldWrites).toBe(1);
    const appends = transport.sent.filter(
      (m): m is Extract<Message, { type: "appendEntries" }> =>
        m.type === "appendEntries" && m.entries.length > 0,
    );
    expect(appends.map((m) => m.to).sort()).toEqual([b, c]);
    expect(proposal.state()).toBe("pending");
    storage.release();
    await node.stop();
  });
});

describe("createNode: proposals", () => {
  it("rejects on a follower with NotLeaderError and the leader it knows", async () => {
    const { node, transport, clock } = single([a, b, c], b);
    await node.start();
    transport.inject(
      appendEntries(a, b, 1, [{ kind: "noop", index: 1 as Index, term: 1 as Term }]),
    );
    await settle();
    const proposal = watch(node.propose(bytes("x")));
    await settle();
    // Settled in a later task, never in the proposing job's microtasks: a caller retrying at
    // once must not starve the node's timers and sockets.
    expect(proposal.state()).toBe("pending");
    await clock.advance(0);
    expect(proposal.error()).toBeInstanceOf(NotLeaderError);
    expect(proposal.error()).toMatchObject({ code: "NOT_LEADER", leader: a });
    await node.stop();
  });

  it("rejects with TimeoutError when no outcome comes in time", async () => {
    const { node, transport, clock } = single([a, b, c], a);
    await node.start();
    node.campaign();
    await settle();
    for (const peer of [b, c]) transport.inject(voteGranted(peer, a, 1));
    await settle();
    const proposal = watch(node.propose(bytes("x"), { timeoutMs: 50 }));
    await clock.advance(40);
    expect(proposal.state()).toBe("pending");
    await clock.advance(20);
    expect(proposal.error()).toBeInstanceOf(TimeoutError);
    expect(node.status().pendingProposals).toBe(0);
    await node.stop();
  });

  it("rejects pending and later proposals with StoppedError", async () => {
    const { node, transport } = single([a, b, c], a);
    await node.start();
    node.campaign();
    await settle();
    for (const peer of [b, c]) transport.inject(voteGranted(peer, a, 1));
    await settle();
    const pending = watch(node.propose(bytes("never commits")));
    const queued = watch(node.propose(bytes("still in the inbox")));
    await node.stop();
    await settle();
    expect(pending.error()).toBeInstanceOf(StoppedError);
    expect(queued.error()).toBeInstanceOf(StoppedError);
    await expect(node.propose(bytes("late"))).rejects.toBeInstanceOf(StoppedError);
    expect(transport.listening).toBe(false);
    await node.stop(); // idempotent
    expect(node.status().phase).toBe("stopped");
  });
});

describe("createNode: overload and events", () => {
  it("rejects with OverloadedError while the uncommitted tail is full", async () => {
    const t = single([a, b, c], a);
    const node = createNode<string>({
      id: a,
      voters: [a, b, c],
      tickMs,
      uncommittedBytesMax: 8,
      transport: t.transport,
      storage: t.storage,
      stateMachine: t.machine,
      scheduler: t.clock,
    });
    await node.start();
    node.campaign();
    await settle();
    for (const peer of [b, c]) t.transport.inject(voteGranted(peer, a, 1));
    await settle();
    // Nobody acknowledges: the first 8 bytes fill the tail, the next proposal is refused.
    const first = watch(node.propose(bytes("12345678")));
    const second = watch(node.propose(bytes("9")));
    await t.clock.advance(0);
    expect(first.state()).toBe("pending");
    expect(second.error()).toBeInstanceOf(OverloadedError);
    expect(second.error()).toMatchObject({ code: "OVERLOADED", leader: a });
    await node.stop();
  });

  it("emits role, term, leader, commit and apply as they change", async () => {
    const t = single();
    const seen: string[] = [];
    t.node.events.on("*", (type, event) => seen.push(`${String(type)} ${JSON.stringify(event)}`));
    await t.node.start();
    t.node.campaign();
    await t.clock.advance(tickMs);
    expect(seen).toEqual([
      'role {"role":"leader","term":1,"leader":"a"}',
      'term {"term":1}',
      'leader {"leader":"a","term":1}',
      'commit {"index":1}',
      'apply {"index":1}',
    ]);
    await t.node.stop();
  });
});

describe("createNode: host scheduler", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("ticks on the host's timers by default, so fake timers drive it", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const storage = new ObservedStorage();
    const node = createNode<string>({
      id: a,
      voters: [a],
      tickMs,
      transport: new ProbeTransport(),
      storage,
      stateMachine: new LogMachine(),
    });
    await node.start();
    const roles: string[] = [];
    node.events.on("role", (event) => roles.push(event.role));
    // A lone voter campaigns on its own once its election timeout (in ticks) runs out.
    await vi.advanceTimersByTimeAsync(tickMs * 40);
    expect(roles.at(-1)).toBe("leader");
    await expect(node.propose(bytes("x"))).resolves.toBe("2:x");
    await node.stop();
  });
});

function requestVote(from: NodeId, to: NodeId, term: number): Message {
  return {
    type: "requestVote",
    from,
    to,
    term: term as Term,
    preVote: false,
    lastLogIndex: 0 as Index,
    lastLogTerm: 0 as Term,
  };
}

function voteGranted(from: NodeId, to: NodeId, term: number): Message {
  return {
    type: "requestVoteResponse",
    from,
    to,
    term: term as Term,
    preVote: false,
    granted: true,
  };
}

function appendAck(
  from: NodeId,
  to: NodeId,
  term: number,
  matchIndex: number,
  seq: number,
): Message {
  return {
    type: "appendEntriesResponse",
    from,
    to,
    term: term as Term,
    seq,
    success: true,
    matchIndex: matchIndex as Index,
  };
}

function appendEntries(
  from: NodeId,
  to: NodeId,
  term: number,
  entries: Extract<Message, { type: "appendEntries" }>["entries"],
): Message {
  return {
    type: "appendEntries",
    from,
    to,
    term: term as Term,
    prevLogIndex: 0 as Index,
    prevLogTerm: 0 as Term,
    entries,
    leaderCommit: 0 as Index,
    seq: 1,
  };
}
