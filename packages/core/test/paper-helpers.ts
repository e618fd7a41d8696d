// Helpers for the Raft-paper tests: build one reducer in a chosen situation, feed it events, and
// look at what it sends. Storage is modelled as durable at once: after each step the helper feeds
// the `persisted` event a driver would, so a leader can count itself (Flotilla's contract).

import {
  type AppendEntries,
  type AppendEntriesResponse,
  type ConfigInput,
  type Effect,
  type Entry,
  type Event,
  type Index,
  type Message,
  type NodeId,
  nodeId,
  type PersistEffect,
  type RequestVote,
  type RequestVoteResponse,
  type Term,
} from "@flotilla/core";
import { init, type RaftStateInternals, status, step } from "@flotilla/core/runtime";

export type ConfigOverridesForTests = Partial<Omit<ConfigInput, "id" | "voters">>;

export const n = (id: number): NodeId => nodeId(String(id));
export const voters = (size: number): NodeId[] => Array.from({ length: size }, (_, i) => n(i + 1));

/** Command entries 1.. with the given terms; each holds its own position as data. */
export function entries(terms: readonly number[], firstIndex = 1): Entry[] {
  return terms.map((t, i) => ({
    kind: "command",
    index: (firstIndex + i) as Index,
    term: t as Term,
    data: new TextEncoder().encode(`${firstIndex + i}/${t}`),
  }));
}

export type Setup = {
  readonly size?: number;
  readonly terms?: readonly number[];
  readonly term?: number;
  readonly vote?: number;
  readonly commit?: number;
  readonly config?: ConfigOverridesForTests;
};

/** Node `id` of a `size`-node cluster (3 by default), restarted from the given log and hard state. */
export function start(id: number, setup: Setup = {}): RaftStateInternals {
  const log = entries(setup.terms ?? []);
  return init(
    { id: n(id), voters: voters(setup.size ?? 3), ...setup.config },
    {
      hardState: {
        term: (setup.term ?? log.at(-1)?.term ?? 0) as Term,
        vote: setup.vote === undefined ? null : n(setup.vote),
        commit: (setup.commit ?? 0) as Index,
      },
      snapshot: null,
      entries: log,
    },
  );
}

export type Output = {
  readonly state: RaftStateInternals;
  /** Everything the step(s) sent: immediate messages, then each persist effect's `then`. */
  readonly sent: readonly Message[];
  readonly effects: readonly Effect[];
};

/** Steps one event, makes its writes durable at once, and feeds back `persisted` and `applied`. */
export function feed(state: RaftStateInternals, event: Event): Output {
  const sent: Message[] = [];
  const effects: Effect[] = [];
  const queue: Event[] = [event];
  let current = state;
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    const result = step(current, next);
    current = result.state;
    sent.push(...result.messages);
    effects.push(...result.effects);
    const writes = result.effects.filter((e): e is PersistEffect => e.type === "persist");
    for (const write of writes) sent.push(...write.then);
    const lastWritten = writes.flatMap((w) => w.entries).at(-1);
    if (lastWritten !== undefined) {
      queue.push({ type: "persisted", index: lastWritten.index, term: lastWritten.term });
    }
    const lastApplied = result.effects.flatMap((e) => (e.type === "apply" ? e.entries : [])).at(-1);
    if (lastApplied !== undefined) queue.push({ type: "applied", index: lastApplied.index });
  }
  return { state: current, sent, effects };
}

export function feedAll(state: RaftStateInternals, events: readonly Event[]): Output {
  let current = state;
  const sent: Message[] = [];
  const effects: Effect[] = [];
  for (const event of events) {
    const out = feed(current, event);
    current = out.state;
    sent.push(...out.sent);
    effects.push(...out.effects);
  }
  return { state: current, sent, effects };
}

export const receive = (message: Message): Event => ({ type: "receive", message });

export function ticks(state: RaftStateInternals, count: number): Output {
  return feedAll(
    state,
    Array.from({ length: count }, () => ({ type: "tick" }) as const),
  );
}

/** Campaigns and grants every vote asked for (pre-votes too) until the node leads. */
export function elect(state: RaftStateInternals): Output {
  let out = feed(state, { type: "campaign" });
  const sent = [...out.sent];
  const effects = [...out.effects];
  for (let round = 0; round < 3 && status(out.state).role !== "leader"; round++) {
    const grants = out.sent
      .filter((m): m is RequestVote => m.type === "requestVote")
      .map((m): RequestVoteResponse => voteResponse(m, true));
    out = feedAll(out.state, grants.map(receive));
    sent.push(...out.sent);
    effects.push(...out.effects);
  }
  if (status(out.state).role !== "leader") throw new Error("elect: the node did not become leader");
  return { state: out.state, sent, effects };
}

export function voteResponse(request: RequestVote, granted: boolean): RequestVoteResponse {
  return {
    type: "requestVoteResponse",
    from: request.to,
    to: request.from,
    term: request.term,
    preVote: request.preVote,
    granted,
  };
}

export function requestVote(
  from: number,
  to: number,
  term: number,
  last: readonly [number, number],
  preVote = false,
): RequestVote {
  return {
    type: "requestVote",
    from: n(from),
    to: n(to),
    term: term as Term,
    preVote,
    lastLogIndex: last[0] as Index,
    lastLogTerm: last[1] as Term,
  };
}

export function appendEntries(
  from: number,
  to: number,
  term: number,
  prev: readonly [number, number],
  sent: readonly Entry[],
  leaderCommit = 0,
  seq = 1,
): AppendEntries {
  return {
    type: "appendEntries",
    from: n(from),
    to: n(to),
    term: term as Term,
    prevLogIndex: prev[0] as Index,
    prevLogTerm: prev[1] as Term,
    entries: sent,
    leaderCommit: leaderCommit as Index,
    seq,
  };
}

/** The success acknowledgement a follower would send for an AppendEntries. */
export function ack(request: AppendEntries, matchIndex: number): AppendEntriesResponse {
  return {
    type: "appendEntriesResponse",
    from: request.to,
    to: request.from,
    term: request.term,
    seq: request.seq,
    success: true,
    matchIndex: matchIndex as Index,
  };
}

/** Answers every AppendEntries in `sent` as followers whose logs match would. */
export function acknowledgeAll(
  leader: RaftStateInternals,
  sent: readonly Message[],
): RaftStateInternals {
  const acks = ofType(sent, "appendEntries").map((m) =>
    receive(ack(m, m.prevLogIndex + m.entries.length)),
  );
  return feedAll(leader, acks).state;
}

export function ofType<T extends Message["type"]>(
  sent: readonly Message[],
  type: T,
): Extract<Message, { type: T }>[] {
  return sent.filter((m): m is Extract<Message, { type: T }> => m.type === type);
}

export function persists(effects: readonly Effect[]): PersistEffect[] {
  return effects.filter((e): e is PersistEffect => e.type === "persist");
}

export function appliedEntries(effects: readonly Effect[]): Entry[] {
  return effects.flatMap((e) => (e.type === "apply" ? [...e.entries] : []));
}

export { status };
