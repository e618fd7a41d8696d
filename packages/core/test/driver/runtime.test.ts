import { describe, expect, it } from "vitest";
import { validateConfig } from "../../src/config.js";
import type { IoRequest } from "../../src/driver/io-request.js";
import { raftReducer } from "../../src/driver/reducer.js";
import { NodeRuntime, type RuntimeHooks } from "../../src/driver/runtime.js";
import { type RuntimeRules, shippedRules } from "../../src/driver/runtime-rules.js";
import type { Entry, Event, Index, Message, NodeId, Term } from "../../src/index.js";

// The runtime alone: a turn is a generator of I/O requests. These tests read the order of the
// requests, which is the contract both createNode and the simulator carry out. A write is handed
// over and stays in flight until the test reports it durable (`completeWrite`).

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
  return turnWithReport(runtime).requests;
}

function turnWithReport(runtime: NodeRuntime<unknown>) {
  const requests: IoRequest[] = [];
  const turn = runtime.turn();
  let next = turn.next();
  while (next.done !== true) {
    const request = next.value;
    requests.push(request);
    next = turn.next(request.type === "apply" ? request.entries.map(() => undefined) : undefined);
  }
  return { requests, report: next.value };
}

/** Reports the write in flight durable and runs the turn that takes it up. */
function completeWrite(runtime: NodeRuntime<unknown>): IoRequest[] {
  runtime.written();
  return runTurn(runtime);
}

/** Runs a turn, then completes its write (if it started one) and runs the turn after. */
function runDurably(runtime: NodeRuntime<unknown>): IoRequest[] {
  const requests = runTurn(runtime);
  return runtime.writing ? [...requests, ...completeWrite(runtime)] : requests;
}

function sent(request: IoRequest | undefined): string[] {
  if (request?.type !== "send") return [];
  return request.messages.map((m) => `${m.type}->${m.to}`);
}

/** The match index of each successful acknowledgement a send request carries. */
function matchesSent(request: IoRequest | undefined): number[] {
  if (request?.type !== "send") return [];
  return request.messages.flatMap((m) =>
    m.type === "appendEntriesResponse" && m.success ? [m.matchIndex] : [],
  );
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
function leader(entryBytesMax?: number, hooks?: RuntimeHooks<unknown>) {
  const config = validateConfig({
    id: a,
    voters: [a, b, c],
    ...(entryBytesMax && { entryBytesMax }),
  });
  const runtime = new NodeRuntime<unknown>(raftReducer, config, {
    snapshotPolicy: { everyEntries: undefined, everyBytes: undefined },
    ...(hooks && { hooks }),
  });
  runtime.load({
    hardState: { term: 0 as Term, vote: null, commit: 0 as Index },
    snapshot: null,
    entries: [],
  });
  runtime.enqueue({ type: "campaign" });
  runDurably(runtime);
  const granted = { to: a, term: 1 as Term, preVote: false, granted: true } as const;
  runtime.enqueue({
    type: "receive",
    message: { type: "requestVoteResponse", from: b, ...granted },
  });
  // Its no-op probes b and c; their acknowledgements put them in replicate state.
  for (const probe of appendsOf(runDurably(runtime))) runtime.enqueue(ack(probe, 1));
  runDurably(runtime);
  return runtime;
}

describe("NodeRuntime: one turn", () => {
  it("writes once, and sends every acknowledgement of the turn only after the write", () => {
    const runtime = follower();
    runtime.enqueue({ type: "receive", message: appendEntries([noop1]) });
    // A duplicate in the same turn: its ack vouches for the first step's write (still pending).
    runtime.enqueue({ type: "receive", message: appendEntries([noop1]) });
    expect(runTurn(runtime).map((r) => r.type)).toEqual(["write"]);
    const after = completeWrite(runtime);
    expect(after.map((r) => r.type)).toEqual(["send"]);
    expect(sent(after[0])).toEqual(["appendEntriesResponse->a", "appendEntriesResponse->a"]);
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
    expect(requests.map((r) => r.type)).toEqual(["send", "write"]);
    expect(sent(requests[0])).toEqual(["requestVoteResponse->c"]);
    expect(sent(completeWrite(runtime)[0])).toEqual(["requestVoteResponse->a"]);
  });

  it("applies committed entries only once they are on its disk", () => {
    const runtime = follower();
    runtime.enqueue({
      type: "receive",
      message: { ...appendEntries([noop1]), leaderCommit: 1 as Index } as Message,
    });
    expect(runTurn(runtime).map((r) => r.type)).toEqual(["write"]);
    expect(runtime.tracker.appliedIndex).toBe(0);
    expect(completeWrite(runtime).map((r) => r.type)).toEqual(["send", "apply"]);
    expect(runtime.tracker.appliedIndex).toBe(1);
  });

  it("sends a turn's proposals to a follower with messages in flight as one AppendEntries", () => {
    const runtime = leader();
    const data = new Uint8Array([1]);
    runtime.enqueue({ type: "propose", id: "p1", data });
    expect(appendsOf(runDurably(runtime))).toHaveLength(2); // p1 in flight to b and c, unacknowledged
    for (const id of ["p2", "p3", "p4"]) runtime.enqueue({ type: "propose", id, data });
    // Pipelined (not waiting for p1's acknowledgement), and one message per follower for the
    // whole turn, not one per proposal.
    expect(
      appendsOf(runTurn(runtime)).map(
        (m) => `${m.to} prev=${m.prevLogIndex} entries=${m.entries.length}`,
      ),
    ).toEqual(["b prev=2 entries=3", "c prev=2 entries=3"]);
  });

  it("steps each run of proposals in a turn as one event, in order with the events between", () => {
    const stepped: string[] = [];
    const runtime = leader(undefined, {
      stepped: (event) =>
        stepped.push(
          event.type === "proposeBatch"
            ? `batch ${event.proposals.map((p) => p.id).join(",")}`
            : event.type,
        ),
    });
    stepped.length = 0;
    const data = new Uint8Array([1]);
    for (const id of ["p1", "p2", "p3"]) runtime.enqueue({ type: "propose", id, data });
    runtime.enqueue({ type: "tick" });
    runtime.enqueue({ type: "propose", id: "p4", data });
    runtime.enqueue({ type: "read", id: "r1" });
    for (const id of ["p5", "p6"]) runtime.enqueue({ type: "propose", id, data });
    const { report } = turnWithReport(runtime);
    expect(stepped.filter((type) => type !== "persisted")).toEqual([
      "batch p1,p2,p3",
      "tick",
      "propose",
      "read",
      "batch p5,p6",
      "flush",
    ]);
    // Each proposal still has its own outcome, in order.
    const accepted = report.work.notices.flatMap((n) =>
      n.type === "proposalAccepted" ? [`${n.id}@${n.index}`] : [],
    );
    expect(accepted).toEqual(["p1@2", "p2@3", "p3@4", "p4@5", "p5@6", "p6@7"]);
  });

  it("hands over the write of newer entries, then applies and settles those already on its disk", () => {
    const runtime = leader();
    const data = new Uint8Array([1]);
    runtime.enqueue({ type: "propose", id: "p1", data });
    const [toB] = appendsOf(runDurably(runtime)); // p1 (index 2) durable here
    // Next turn: b acknowledges p1 (committed: a and b have it on disk) and p2 arrives.
    runtime.enqueue(ack(toB!, 2));
    runtime.enqueue({ type: "propose", id: "p2", data });
    const { requests, report } = turnWithReport(runtime);
    expect(requests.map((r) => r.type)).toEqual(["send", "write", "apply"]);
    expect(report.work.outcomes.map((o) => o.index)).toEqual([2]);
    expect(runtime.tracker.appliedIndex).toBe(2);
  });

  it("applies a committed entry once its write is in flight, not before it is handed over", () => {
    const runtime = follower();
    runtime.enqueue({ type: "receive", message: appendEntries([noop1]) });
    runDurably(runtime); // 1 on disk
    const entry2: Entry = { kind: "noop", index: 2 as Index, term: 1 as Term };
    // One turn: entry 2 arrives with the commit of both; their apply waits until 2's write has
    // started (early-apply.ts), not until it is durable.
    runtime.enqueue({
      type: "receive",
      message: {
        ...appendEntries([entry2]),
        prevLogIndex: 1 as Index,
        prevLogTerm: 1 as Term,
        leaderCommit: 2 as Index,
      } as Message,
    });
    expect(runTurn(runtime).map((r) => r.type)).toEqual(["write", "apply"]);
    expect(runtime.tracker.appliedIndex).toBe(2);
    // The acknowledgement still waits for the write.
    expect(completeWrite(runtime).map((r) => r.type)).toEqual(["send"]);
  });
});

describe("NodeRuntime: asynchronous writes (thesis §10.2.1)", () => {
  it("keeps stepping while its write is in flight; a second write waits, and its acks with it", () => {
    const runtime = follower();
    runtime.enqueue({ type: "receive", message: appendEntries([noop1]) });
    expect(runTurn(runtime).map((r) => r.type)).toEqual(["write"]);
    const entry2: Entry = { kind: "noop", index: 2 as Index, term: 1 as Term };
    const second = { ...appendEntries([entry2]), prevLogIndex: 1 as Index, prevLogTerm: 1 as Term };
    runtime.enqueue({ type: "receive", message: second as Message });
    // Stepped during the write: nothing to send yet, and no second write while one is in flight.
    expect(runTurn(runtime)).toEqual([]);
    expect(runtime.hasWork).toBe(false);
    // The first write is durable: its ack leaves (match 1, not 2), and the second write starts.
    const first = completeWrite(runtime);
    expect(first.map((r) => r.type)).toEqual(["send", "write"]);
    expect(matchesSent(first[0])).toEqual([1]);
    expect(matchesSent(completeWrite(runtime)[0])).toEqual([2]);
  });

  it("a leader steps acknowledgements during its own write and applies what both followers hold", () => {
    const runtime = leader();
    runtime.enqueue({ type: "propose", id: "p1", data: new Uint8Array([1]) });
    const { requests, report } = turnWithReport(runtime);
    expect(requests.map((r) => r.type)).toEqual(["send", "write"]);
    // The registry learns where p1 sits at once: its outcome may come before its write is durable.
    expect(report.work.notices.map((n) => n.type)).toEqual(["proposalAccepted"]);
    const [toB, toC] = appendsOf(requests);
    runtime.enqueue(ack(toB!, 2));
    expect(runTurn(runtime)).toEqual([]);
    // b alone is no majority while the leader's own copy is not durable.
    expect(raftReducer.commitIndex(runtime.state as never)).toBe(1);
    runtime.enqueue(ack(toC!, 2));
    const { requests: after, report: done } = turnWithReport(runtime);
    // b and c hold p1: a majority without the leader's copy, so it is committed (§10.2.1) and
    // applied while the leader's write of it is still in flight (early-apply.ts).
    expect(raftReducer.commitIndex(runtime.state as never)).toBe(2);
    expect(after.map((r) => r.type)).toEqual(["apply"]);
    expect(runtime.tracker.appliedIndex).toBe(2);
    expect(done.work.outcomes.map((o) => o.index)).toEqual([2]);
    runtime.written();
    // Then the commit index moved is written (the hard state: it never held anything up).
    expect(runTurn(runtime).map((r) => r.type)).toEqual(["write"]);
  });

  it("applies nothing early while a notice waits: no outcome overtakes its proposal's acceptance", () => {
    const runtime = leader(4);
    // p1, then a refusal whose notice waits for p1's write, then p2, accepted behind that notice.
    runtime.enqueue({ type: "propose", id: "p1", data: new Uint8Array([1]) });
    runtime.enqueue({ type: "propose", id: "big", data: new Uint8Array(8) });
    runtime.enqueue({ type: "propose", id: "p2", data: new Uint8Array([2]) });
    const { requests, report } = turnWithReport(runtime);
    expect(report.work.notices.map((n) => n.type)).toEqual(["proposalAccepted"]); // p1's only
    for (const append of appendsOf(requests)) runtime.enqueue(ack(append, 3));
    const { report: acked } = turnWithReport(runtime);
    // p1 and p2 are committed (b and c hold them), but p2's acceptance still waits: so do both.
    expect(raftReducer.commitIndex(runtime.state as never)).toBe(3);
    expect(acked.work.outcomes).toEqual([]);
    runtime.written();
    const { report: done } = turnWithReport(runtime);
    expect(done.work.notices.map((n) => n.type)).toEqual(["proposalRejected", "proposalAccepted"]);
    expect(done.work.outcomes.map((o) => o.index)).toEqual([2, 3]);
  });

  it("a single voter that wins its own election acts in the term only once it is durable", () => {
    // Seed 2652: the term's write was lost in a crash after the leader had stepped a proposal;
    // back in the term before, it won the same term again and put another entry at that index.
    const runtime = new NodeRuntime(
      raftReducer,
      validateConfig({ id: a, voters: [a], learners: [b] }),
      { snapshotPolicy: { everyEntries: undefined, everyBytes: undefined } },
    );
    runtime.load({
      hardState: { term: 0 as Term, vote: null, commit: 0 as Index },
      snapshot: null,
      entries: [],
    });
    runtime.enqueue({ type: "campaign" });
    // Elected in one step: term 1 and its no-op go to disk, the learner's AppendEntries waits.
    const elected = runTurn(runtime);
    expect(elected.map((r) => r.type)).toEqual(["write"]);
    runtime.enqueue({ type: "propose", id: "p1", data: new Uint8Array([1]) });
    // Nothing is stepped while term 1 may still be lost: no entry of it beside the no-op.
    expect(runTurn(runtime)).toEqual([]);
    expect(runtime.hasWork).toBe(false);
    const after = completeWrite(runtime);
    expect(after.map((r) => r.type)).toEqual(["send", "write", "apply"]);
    expect(appendsOf(after).map((m) => m.to)).toContain(b);
    const written = after.find((r) => r.type === "write");
    expect(written?.type === "write" && written.batch.entries.map((e) => e.index)).toEqual([2]);
  });

  it("a candidate whose log is on disk asks for votes before its term is, and counts them after", () => {
    // Seed 3428: held behind the candidate's write, the requests gave a stale candidate with a
    // fast clock the time to campaign again, election after election.
    const runtime = follower();
    runtime.enqueue({ type: "campaign" });
    const asked = runTurn(runtime);
    expect(asked.map((r) => r.type)).toEqual(["send", "write"]);
    expect(sent(asked[0])).toEqual(["requestVote->a", "requestVote->c"]);
    const granted = { to: b, term: 1 as Term, preVote: false, granted: true } as const;
    runtime.enqueue({
      type: "receive",
      message: { type: "requestVoteResponse", from: a, ...granted },
    });
    // The grant waits: a crash could still take term 1 and the self-vote back.
    expect(runTurn(runtime)).toEqual([]);
    expect(runtime.hasWork).toBe(false);
    expect(raftReducer.status(runtime.state as never).role).toBe("candidate");
    completeWrite(runtime);
    expect(raftReducer.status(runtime.state as never).role).toBe("leader");
  });

  it("a candidate whose log is still being written asks for votes only once it is durable", () => {
    // A grant answers the log the request claims: after a crash that lost those entries, the
    // candidate could campaign again in that term and win on the late grant with a shorter log.
    const runtime = follower();
    runtime.enqueue({ type: "receive", message: appendEntries([noop1]) });
    expect(runTurn(runtime).map((r) => r.type)).toEqual(["write"]);
    runtime.enqueue({ type: "campaign" });
    expect(runTurn(runtime)).toEqual([]);
    const first = completeWrite(runtime);
    expect(first.map((r) => r.type)).toEqual(["send", "write"]);
    expect(sent(first[0])).toEqual(["appendEntriesResponse->a"]);
    const second = completeWrite(runtime);
    expect(sent(second[0])).toEqual(["requestVote->a", "requestVote->c"]);
  });

  it("without that rule, a crash and a late grant elect a candidate without a committed entry", () => {
    // The planted rule: every RequestVote leaves before its write, whatever log it claims.
    const planted: RuntimeRules = {
      ...shippedRules,
      requestsVoteBeforeWrite: (m) => m.type === "requestVote" && !m.preVote,
    };
    const config = validateConfig({ id: b, voters: [a, b, c] });
    const options = { snapshotPolicy: { everyEntries: undefined, everyBytes: undefined } };
    const makeRuntime = (rules: RuntimeRules) =>
      new NodeRuntime(raftReducer, config, { ...options, rules });
    const onDisk = {
      hardState: { term: 1 as Term, vote: null, commit: 0 as Index },
      snapshot: null,
      entries: [],
    };
    const askedBeforeCrash = (rules: RuntimeRules) => {
      const runtime = makeRuntime(rules);
      runtime.load(onDisk);
      // a's no-op (which a and c hold: committed) is still being written here when b campaigns.
      runtime.enqueue({ type: "receive", message: appendEntries([noop1]) });
      runTurn(runtime);
      runtime.enqueue({ type: "campaign" });
      return runTurn(runtime).flatMap((r) => (r.type === "send" ? r.messages : []));
    };
    expect(askedBeforeCrash(shippedRules)).toEqual([]);
    const asked = askedBeforeCrash(planted);
    expect(asked.map((m) => m.type === "requestVote" && m.lastLogIndex)).toEqual([1, 1]);
    // c grants term 2 on that claim; its answer is late. b crashed and lost the no-op, came back
    // in term 1, and campaigns in term 2 again.
    const restarted = makeRuntime(planted);
    restarted.load(onDisk);
    restarted.enqueue({ type: "campaign" });
    runDurably(restarted);
    const late = { to: b, term: 2 as Term, preVote: false, granted: true } as const;
    restarted.enqueue({
      type: "receive",
      message: { type: "requestVoteResponse", from: c, ...late },
    });
    const won = runDurably(restarted);
    expect(raftReducer.status(restarted.state as never).role).toBe("leader");
    // Its no-op of term 2 goes to index 1, where a and c hold a's committed no-op of term 1.
    const written = won.flatMap((r) => (r.type === "write" ? r.batch.entries : []));
    expect(written.map((e) => `${e.index}/${e.term}`)).toEqual(["1/2"]);
  });
});
