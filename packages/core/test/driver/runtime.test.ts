import { describe, expect, it } from "vitest";
import { validateConfig } from "../../src/config.js";
import type { IoRequest } from "../../src/driver/io-request.js";
import { raftReducer } from "../../src/driver/reducer.js";
import { NodeRuntime } from "../../src/driver/runtime.js";
import type { Entry, Event, Index, Message, NodeId, Term } from "../../src/index.js";

// The runtime alone: a turn is a generator of I/O requests. These tests read the order of the
// requests, which is the contract both createNode and the simulator carry out.

const a = "a" as NodeId;
const b = "b" as NodeId;
const c = "c" as NodeId;

function follower() {
  const runtime = new NodeRuntime(raftReducer, validateConfig({ id: b, voters: [a, b, c] }), {
    snapshotPolicy: { everyEntries: undefined, everyBytes: undefined },
  });
  runtime.load({
    hardState: { term: 0 as Term, vote: null, commit: 0 as Index },
    snapshot: null,
    entries: [],
  });
  return runtime;
}

/** Runs one turn to the end, answering every request as a perfect world would. */
function runTurn(runtime: NodeRuntime<unknown>): IoRequest[] {
  const requests: IoRequest[] = [];
  const turn = runtime.turn();
  for (let next = turn.next(); next.done !== true; ) {
    const request = next.value;
    requests.push(request);
    next = turn.next(request.type === "apply" ? request.entries.map(() => undefined) : undefined);
  }
  return requests;
}

function sent(request: IoRequest | undefined): string[] {
  if (request?.type !== "send") return [];
  return request.messages.map((m) => `${m.type}->${m.to}`);
}

const noop1: Entry = { kind: "noop", index: 1 as Index, term: 1 as Term };

function appendEntries(entries: readonly Entry[]): Message {
  return {
    type: "appendEntries",
    from: a,
    to: b,
    term: 1 as Term,
    prevLogIndex: 0 as Index,
    prevLogTerm: 0 as Term,
    entries,
    leaderCommit: 0 as Index,
    seq: 1,
  };
}

function appendsOf(requests: IoRequest[]) {
  return requests
    .flatMap((r) => (r.type === "send" ? r.messages : []))
    .filter((m) => m.type === "appendEntries");
}

/** `appendEntries`' acknowledgement by its recipient, up to `matchIndex`. */
function ack(message: Message, matchIndex: number): Event {
  if (message.type !== "appendEntries") throw new Error(`not an AppendEntries: ${message.type}`);
  return {
    type: "receive",
    message: {
      type: "appendEntriesResponse",
      from: message.to,
      to: a,
      term: 1 as Term,
      seq: message.seq,
      success: true,
      matchIndex: matchIndex as Index,
    },
  };
}

/** A leader of term 1 whose followers b and c acknowledged its no-op (both in replicate state). */
function leader() {
  const runtime = new NodeRuntime(raftReducer, validateConfig({ id: a, voters: [a, b, c] }), {
    snapshotPolicy: { everyEntries: undefined, everyBytes: undefined },
  });
  runtime.load({
    hardState: { term: 0 as Term, vote: null, commit: 0 as Index },
    snapshot: null,
    entries: [],
  });
  runtime.enqueue({ type: "campaign" });
  runTurn(runtime);
  const granted = { to: a, term: 1 as Term, preVote: false, granted: true } as const;
  runtime.enqueue({
    type: "receive",
    message: { type: "requestVoteResponse", from: b, ...granted },
  });
  // Its no-op probes b and c; their acknowledgements put them in replicate state.
  for (const probe of appendsOf(runTurn(runtime))) runtime.enqueue(ack(probe, 1));
  runTurn(runtime);
  return runtime;
}

describe("NodeRuntime: one turn", () => {
  it("writes once, and sends every acknowledgement of the turn only after the write", () => {
    const runtime = follower();
    runtime.enqueue({ type: "receive", message: appendEntries([noop1]) });
    // A duplicate in the same turn: its ack vouches for the first step's write (still pending).
    runtime.enqueue({ type: "receive", message: appendEntries([noop1]) });
    const requests = runTurn(runtime);
    expect(requests.map((r) => r.type)).toEqual(["write", "send"]);
    expect(sent(requests[1])).toEqual(["appendEntriesResponse->a", "appendEntriesResponse->a"]);
  });

  it("sends what the core marks safe before the write; only the core decides", () => {
    const runtime = follower();
    // Step 1 grants a vote (a write); step 2 answers a pre-vote, which promises nothing durable
    // (thesis §9.6): it leaves at once, while the vote grant waits for the write.
    runtime.enqueue({
      type: "receive",
      message: {
        type: "requestVote",
        from: a,
        to: b,
        term: 1 as Term,
        preVote: false,
        lastLogIndex: 0 as Index,
        lastLogTerm: 0 as Term,
      },
    });
    runtime.enqueue({
      type: "receive",
      message: {
        type: "requestVote",
        from: c,
        to: b,
        term: 2 as Term,
        preVote: true,
        lastLogIndex: 0 as Index,
        lastLogTerm: 0 as Term,
      },
    });
    const requests = runTurn(runtime);
    expect(requests.map((r) => r.type)).toEqual(["send", "write", "send"]);
    expect(sent(requests[0])).toEqual(["requestVoteResponse->c"]);
    expect(sent(requests[2])).toEqual(["requestVoteResponse->a"]);
  });

  it("applies committed entries only after the turn's write", () => {
    const runtime = follower();
    runtime.enqueue({
      type: "receive",
      message: { ...appendEntries([noop1]), leaderCommit: 1 as Index } as Message,
    });
    const requests = runTurn(runtime);
    expect(requests.map((r) => r.type)).toEqual(["write", "send", "apply"]);
    expect(runtime.tracker.appliedIndex).toBe(1);
  });

  it("sends a turn's proposals to a follower with messages in flight as one AppendEntries", () => {
    const runtime = leader();
    const data = new Uint8Array([1]);
    runtime.enqueue({ type: "propose", id: "p1", data });
    expect(appendsOf(runTurn(runtime))).toHaveLength(2); // p1 in flight to b and c, unacknowledged
    for (const id of ["p2", "p3", "p4"]) runtime.enqueue({ type: "propose", id, data });
    // Pipelined (not waiting for p1's acknowledgement), and one message per follower for the
    // whole turn, not one per proposal.
    expect(
      appendsOf(runTurn(runtime)).map(
        (m) => `${m.to} prev=${m.prevLogIndex} entries=${m.entries.length}`,
      ),
    ).toEqual(["b prev=2 entries=3", "c prev=2 entries=3"]);
  });

  it("applies and settles entries already on its disk before the turn's write of newer ones", () => {
    const runtime = leader();
    const data = new Uint8Array([1]);
    runtime.enqueue({ type: "propose", id: "p1", data });
    const [toB] = appendsOf(runTurn(runtime)); // p1 (index 2) written by this turn
    // Next turn: b acknowledges p1 (committed: a and b have it on disk) and p2 arrives.
    runtime.enqueue(ack(toB!, 2));
    runtime.enqueue({ type: "propose", id: "p2", data });
    const requests = runTurn(runtime);
    expect(requests.map((r) => r.type)).toEqual(["send", "apply", "settle", "write"]);
    const settle = requests[2];
    if (settle?.type !== "settle") throw new Error("no settle");
    expect(settle.report.work.outcomes.map((o) => o.index)).toEqual([2]);
    expect(runtime.tracker.appliedIndex).toBe(2);
  });

  it("waits for the write when a committed entry is not on its disk yet", () => {
    const runtime = follower();
    runtime.enqueue({ type: "receive", message: appendEntries([noop1]) });
    runTurn(runtime); // 1 on disk
    const entry2: Entry = { kind: "noop", index: 2 as Index, term: 1 as Term };
    // One turn: entry 2 arrives with the commit of both; their apply waits for 2's write.
    runtime.enqueue({
      type: "receive",
      message: {
        ...appendEntries([entry2]),
        prevLogIndex: 1 as Index,
        prevLogTerm: 1 as Term,
        leaderCommit: 2 as Index,
      } as Message,
    });
    const requests = runTurn(runtime);
    expect(requests.map((r) => r.type)).toEqual(["write", "send", "apply"]);
    expect(runtime.tracker.appliedIndex).toBe(2);
  });
});
