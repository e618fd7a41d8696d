import type { Effect, Entry, HardState, Index, Message, PersistEffect } from "@flotilla/core";
import { init, type RaftStateInternals, step } from "@flotilla/core/runtime";
import { crc32 } from "@flotilla/core/testing";
import type { RaftCore } from "./raft-core.js";

// Planted defects, each a classic Raft bug, built around the real reducer through the
// simulator's `core` seam: a wrapper that rewrites the input or the output of `step` (or of
// `init`). Nothing here touches the shipped core. The suite proves that a bounded search over
// seeds finds each of them. They are exported on their own subpath (`@flotilla/sim/defects`),
// apart from the simulator's entry point, so the playground offers the same defects the suite
// plants, and a browser bundle takes in only the reducer.

type StepResult = ReturnType<typeof step>;

/**
 * §5.4.2 / Figure 8: a leader commits an entry of an earlier term as soon as a majority holds
 * it, instead of only entries of its own term (which then carry the earlier ones with them).
 */
export const commitsEarlierTermByCounting: RaftCore<RaftStateInternals> = {
  init,
  step(state, event) {
    const result = step(state, event);
    const s = result.state;
    const ls = s.leaderState;
    if (s.role !== "leader" || ls === null) return result;
    const matches = s.membership.voters.map((id) => {
      return id === s.id ? s.persistedIndex : (ls.progress.get(id)?.match ?? 0);
    });
    matches.sort((a, b) => b - a);
    const quorumIndex = matches[Math.floor(matches.length / 2)] ?? 0;
    if (quorumIndex <= s.commit) return result;
    // What the real finish() would have emitted for this commit: the hard state and the apply.
    const hardState: HardState = {
      term: s.term as never,
      vote: s.vote,
      commit: quorumIndex as Index,
    };
    const entries = s.log.slice(s.applyQueued + 1, quorumIndex);
    return {
      state: { ...s, commit: quorumIndex, applyQueued: quorumIndex },
      messages: result.messages,
      effects: withHardState(result.effects, hardState, { type: "apply", entries }),
    };
  },
};

/** Adds `hardState` to the step's persist effect (or a new one) and `extra` after it. */
function withHardState(effects: readonly Effect[], hardState: HardState, extra: Effect): Effect[] {
  const index = effects.findIndex((e) => e.type === "persist");
  if (index < 0) return [{ type: "persist", hardState, entries: [], then: [] }, extra, ...effects];
  const out = effects.slice();
  out[index] = { ...(effects[index] as PersistEffect), hardState };
  out.splice(index + 1, 0, extra);
  return out;
}

/**
 * §5.4.1: a voter grants its vote (and pre-vote) without checking that the candidate's log is
 * at least as up to date as its own. Planted by making every vote request claim the longest
 * possible log, so the voter's own check always passes.
 */
export const votesWithoutUpToDateCheck: RaftCore<RaftStateInternals> = {
  init,
  step(state, event) {
    if (event.type !== "receive" || event.message.type !== "requestVote") return step(state, event);
    const message = event.message;
    const boasting: Message = {
      ...message,
      lastLogTerm: message.term,
      lastLogIndex: Number.MAX_SAFE_INTEGER as Index,
    };
    return step(state, { type: "receive", message: boasting });
  },
};

/** Figure 2: votedFor is persistent state. Planted by dropping the vote when a node restarts. */
export const forgetsVoteOnRestart: RaftCore<RaftStateInternals> = {
  init(config, persisted) {
    return init(config, { ...persisted, hardState: { ...persisted.hardState, vote: null } });
  },
  step,
};

/**
 * Figure 2, "respond after persisting": a follower acknowledges appended entries before they
 * are durable. Planted by sending the AppendEntries responses a persist effect holds at once.
 */
export const acksBeforeDurable: RaftCore<RaftStateInternals> = {
  init,
  step(state, event) {
    const result = step(state, event);
    const early: Message[] = [];
    const effects = result.effects.map((effect): Effect => {
      if (effect.type !== "persist") return effect;
      const acks = effect.then.filter((m) => m.type === "appendEntriesResponse");
      if (acks.length === 0) return effect;
      early.push(...acks);
      return { ...effect, then: effect.then.filter((m) => m.type !== "appendEntriesResponse") };
    });
    if (early.length === 0) return result;
    return { state: result.state, messages: [...result.messages, ...early], effects };
  },
};

/**
 * §5.3: "if an existing entry conflicts with a new one, delete the existing entry and all that
 * follow it". Planted as the classic slip: overwrite the conflicting entries the leader sent but
 * keep the old entries after them, in memory and on disk.
 */
export const keepsConflictingSuffix: RaftCore<RaftStateInternals> = {
  init,
  step(state, event) {
    const result: StepResult = step(state, event);
    if (event.type !== "receive" || event.message.type !== "appendEntries") return result;
    const persist = result.effects.find((e): e is PersistEffect => e.type === "persist");
    if (persist?.truncateFrom === undefined) return result;
    const newLast = result.state.log.lastIndex;
    const oldLast = state.log.lastIndex;
    if (oldLast <= newLast) return result;
    const suffix: Entry[] = state.log.slice(newLast + 1, oldLast);
    const effects = result.effects.map((e) =>
      e === persist ? { ...persist, entries: [...persist.entries, ...suffix] } : e,
    );
    return {
      state: { ...result.state, log: result.state.log.append(suffix) },
      messages: result.messages,
      effects,
    };
  },
};

/**
 * Issue 9, lost logs: a leader takes a follower's rejection that contradicts what the follower
 * acknowledged (its log ends below `match`) for a reordered answer and ignores it, trusting
 * `match`. A follower back from an empty or older data directory is then never repaired while
 * that leader leads, and nothing is reported. Planted by rewriting such a rejection's seq to 0,
 * the mark of an answer older than the leader's current probe.
 */
export const trustsAcknowledgedMatch: RaftCore<RaftStateInternals> = {
  init,
  step(state, event) {
    const ls = state.leaderState;
    if (ls === null || event.type !== "receive") return step(state, event);
    const message = event.message;
    if (message.type !== "appendEntriesResponse" || message.success) return step(state, event);
    const match = ls.progress.get(message.from)?.match ?? 0;
    if (message.conflictIndex > match) return step(state, event);
    return step(state, { type: "receive", message: { ...message, seq: 0 } });
  },
};

/**
 * The lost-log spin of issue 9, and its streaming twin, the retransmission storm: a leader answers
 * at once a rejection that tells it nothing new (the same question at network speed) instead of
 * leaving it to its next heartbeat. The core answers a rejection at once only when it moves the
 * probe back, or, streaming, when it is the first to show a gap (resend from the gap); a probe
 * rejected without moving back, or a rejection older than the resend that already answered its
 * loss (stale by seq), waits. Planted by sending an AppendEntries at `next - 1` again (under the
 * same seq) whenever the real step sent the rejecter nothing, in probe and replicate state.
 */
export const reprobesAtOnce: RaftCore<RaftStateInternals> = {
  init,
  step(state, event) {
    const result = step(state, event);
    const s = result.state;
    const ls = s.leaderState;
    if (ls === null || event.type !== "receive") return result;
    const answer = event.message;
    if (answer.type !== "appendEntriesResponse" || answer.success) return result;
    if (result.messages.some((m) => m.to === answer.from)) return result;
    const pr = ls.progress.get(answer.from);
    if (pr === undefined || pr.state === "snapshot") return result;
    const prevLogIndex = pr.next - 1;
    const prevLogTerm = s.log.term(prevLogIndex);
    if (prevLogTerm === undefined) return result;
    const probe: Message = {
      type: "appendEntries",
      from: s.id,
      to: answer.from,
      term: s.term as never,
      prevLogIndex: prevLogIndex as Index,
      prevLogTerm: prevLogTerm as never,
      entries: [],
      leaderCommit: Math.min(s.commit, pr.match) as Index,
      seq: ls.seq,
    };
    return { ...result, messages: [...result.messages, probe] };
  },
};

/**
 * Thesis §3.10, step 2 skipped: a leader asked to transfer sends TimeoutNow at once, whether or
 * not the target holds its whole log. (Safe, since voters still check logs; but the transfer
 * fails, or hands over to a node lacking entries the old leader had.)
 */
export const timeoutNowBeforeCaughtUp: RaftCore<RaftStateInternals> = {
  init,
  step(state, event) {
    const result = step(state, event);
    const started = result.effects.find((e) => e.type === "leadershipTransferStarted");
    if (started === undefined || result.messages.some((m) => m.type === "timeoutNow")) {
      return result;
    }
    const timeoutNow: Message = {
      type: "timeoutNow",
      from: state.id,
      to: started.to,
      term: started.term,
    };
    return { ...result, messages: [...result.messages, timeoutNow] };
  },
};

/**
 * Thesis §3.10, step 1 skipped: a leader handing leadership over keeps accepting proposals, so its
 * log keeps growing past what the target caught up with.
 */
export const acceptsProposalsWhileTransferring: RaftCore<RaftStateInternals> = {
  init,
  step(state, event) {
    const proposes = event.type === "propose" || event.type === "proposeBatch";
    if (!proposes || state.transfer === null) return step(state, event);
    const result = step({ ...state, transfer: null }, event);
    return { ...result, state: { ...result.state, transfer: state.transfer } };
  },
};

/**
 * §7, issue 11: a follower installs a snapshot once its last chunk arrives although a chunk before
 * it is still missing: the chunks held past a gap taken for the whole, and the checksum compared
 * with what was received rather than with the leader's. The rule it breaks: a snapshot is put in
 * force only once every byte is there and the CRC-32 matches (snapshot-receive.ts). Planted by
 * moving the bytes received up to the last chunk's offset and handing the core, as the leader's
 * checksum, the one the bytes it will hold give.
 */
export const installsSnapshotWithHoles: RaftCore<RaftStateInternals> = {
  init,
  step(state, event) {
    const incoming = state.incoming;
    if (event.type !== "receive" || event.message.type !== "installSnapshot" || incoming === null) {
      return step(state, event);
    }
    const message = event.message;
    const ofTransfer =
      message.from === incoming.from &&
      message.term === incoming.leaderTerm &&
      message.snapshotIndex === incoming.index;
    if (!message.done || !ofTransfer || message.offset <= incoming.receivedBytes) {
      return step(state, event);
    }
    const checksum = crc32(message.data, incoming.receivedChecksum);
    const holed = {
      ...incoming,
      receivedBytes: message.offset,
      checksum,
      early: [],
      earlyBytes: 0,
    };
    return step(
      { ...state, incoming: holed },
      { type: "receive", message: { ...message, checksum } },
    );
  },
};

/**
 * Issue #11: a node whose snapshot's bytes storage found damaged (quarantined at open) starts as
 * if they were whole: it applies the entries after the snapshot on a state machine that holds
 * nothing, and may campaign and lead without the snapshot it would have to send. Needs a run
 * that damages a snapshot file (`corruptionProbability`), so it is not among `defects` (the
 * playground's disks are never damaged).
 */
export const forgetsLostSnapshot: RaftCore<RaftStateInternals> = {
  init: (config, persisted) => init(config, { ...persisted, snapshotBytesLost: false }),
  step,
};

/**
 * Issue #11: a node repairing its snapshot (its bytes lost at rest) stands for election when its
 * timer runs out, as a whole voter would. The rule it breaks (election.ts, `mayCampaign`): it
 * waits for a leader's snapshot instead, since as leader it could neither apply (no client
 * answered) nor send the snapshot a follower may need, and nobody repairs a leader. Planted by
 * stepping a repairing node's ticks as if its snapshot were whole, its applies still held; the
 * rest of its repair is the shipped one. Needs damaged snapshot files (`corruptionProbability`).
 */
export const campaignsWhileRepairing: RaftCore<RaftStateInternals> = {
  init,
  step(state, event) {
    if (!state.snapshotLost || event.type !== "tick" || state.role === "leader") {
      return step(state, event);
    }
    const held = Math.max(state.applyQueued, state.commit);
    const result = step({ ...state, snapshotLost: false, applyQueued: held }, event);
    const applyQueued = result.state.applyQueued === held ? state.applyQueued : held;
    return { ...result, state: { ...result.state, snapshotLost: true, applyQueued } };
  },
};

/**
 * Issue #11: a node repairing its snapshot installs one from before the snapshot it lost. The
 * entries between the two are compacted away on this node, so the older snapshot replaces its
 * whole log (§7), entries it acknowledged among them. The rule it breaks (snapshot-receive.ts,
 * `repairs`): only a snapshot at or past the lost one repairs it. Only a stale copy of an earlier
 * transfer can offer one (`snapshotReplayProbability`). Planted by taking the lost snapshot to be
 * at the offered index for the repair check.
 */
export const takesOlderSnapshotWhileRepairing: RaftCore<RaftStateInternals> = {
  init,
  step(state, event) {
    const lost = state.snapshot;
    if (
      !state.snapshotLost ||
      lost === null ||
      event.type !== "receive" ||
      event.message.type !== "installSnapshot" ||
      event.message.snapshotIndex >= lost.index
    ) {
      return step(state, event);
    }
    const offered = { ...lost, index: event.message.snapshotIndex };
    const result = step({ ...state, snapshot: offered }, event);
    if (result.state.snapshot !== offered) return result; // installed: the plant's harm is done
    return { ...result, state: { ...result.state, snapshot: lost } };
  },
};

/**
 * Every planted defect of this module by name: what the playground offers and the seed-search
 * suite (`test/planted-defects.test.ts`) runs, each a {@link RaftCore} to hand the simulator.
 */
export const defects = {
  commitsEarlierTermByCounting,
  votesWithoutUpToDateCheck,
  forgetsVoteOnRestart,
  acksBeforeDurable,
  keepsConflictingSuffix,
  trustsAcknowledgedMatch,
  reprobesAtOnce,
  timeoutNowBeforeCaughtUp,
  acceptsProposalsWhileTransferring,
  installsSnapshotWithHoles,
} as const;

/** The name of a planted defect, a key of {@link defects}. */
export type DefectName = keyof typeof defects;
