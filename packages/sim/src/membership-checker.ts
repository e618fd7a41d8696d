import type { Effect, Event, Membership, NodeId, PersistEffect, Persisted } from "@flotilla/core";
import type { SafetyChecker } from "./safety-checker.js";

// The membership rules (Raft thesis chapter 4), checked by observation like the safety
// properties. The safety checkers hold across configurations by themselves (a term has one
// leader whatever the configuration), but a broken membership rule often shows up there only
// after a long and lucky schedule, so the rules are checked where they act:
// - one change at a time (§4.1): a leader appends a configuration entry only while the previous
//   configuration in its log is committed (the joint one included, §4.3);
// - every commit is backed by a quorum of the configuration in force on the leader: a majority of
//   `voters` and, while joint, a majority of `outgoing` too, each of whom holds the entry (§4.3);
// - every election is won with votes from such a quorum;
// - the configuration in force is the latest in the log, committed or not (§4.1): the checker
//   tracks it from the log the node appended, truncated and snapshotted, never from what the node
//   says its configuration is;
// - a removed node cannot disrupt (§4.2.3): with CheckQuorum, no vote request from a node outside
//   the leader's configuration deposes it;
// - a leader whose committed configuration no longer counts it as a voter steps down (§4.2.2).
//
// Amnesia (a node back from an older or empty data directory) voids the picture: a node that
// forgot entries it acknowledged no longer holds what its leader counts. The checker stops at the
// first one, as the safety checks do at their first excused violation (violation.ts).
//
// A step's commit may have been decided before or after the configuration entries the same step
// appended (a leader leaves a joint configuration right after committing it; a change's own
// append may commit what the new configuration already holds): the quorum check accepts either.
// Followers' logs are the checkers' mirrors, which hold at least what each node acknowledged.

/** A configuration entry of a node's log (the base: the snapshot's, or the initial one). */
type ConfigAt = { readonly index: number; readonly term: number; readonly membership: Membership };

type NodeView = {
  /** In force at the log's base. */
  base: ConfigAt;
  /** Configuration entries after the base, in log order. */
  changes: ConfigAt[];
  commit: number;
  leads: boolean;
  /**
   * Votes granted to this node as a candidate, by term. Not only the latest term's: a candidate
   * sends its RequestVotes before its term is durable (runtime-rules.ts), so a crash may take its
   * term back after voters granted it, and it may campaign and win a lower term next.
   */
  readonly votes: Map<number, Set<NodeId>>;
};

export class MembershipChecker {
  readonly #safety: SafetyChecker;
  readonly #initial: readonly Membership[];
  readonly #checkQuorum: boolean;
  readonly #views: NodeView[];
  readonly #indexOf = new Map<NodeId, number>();

  /** `initial[i]`: node i's configuration before its log holds one (empty for a joining node). */
  constructor(safety: SafetyChecker, initial: readonly Membership[], checkQuorum: boolean) {
    this.#safety = safety;
    this.#initial = initial;
    this.#checkQuorum = checkQuorum;
    for (const [i, id] of safety.ids.entries()) this.#indexOf.set(id, i);
    this.#views = initial.map((membership) => ({
      base: { index: 0, term: 0, membership },
      changes: [],
      commit: 0,
      leads: false,
      votes: new Map(),
    }));
  }

  /** The configuration in force on `node`: the latest in its log (thesis §4.1). */
  current(node: number): Membership {
    return currentOf(this.#view(node)).membership;
  }

  /** A node (re)starts from what storage held. */
  restarted(node: number, persisted: Persisted): void {
    const view = this.#view(node);
    const snapshot = persisted.snapshot;
    view.base =
      snapshot === null
        ? { index: 0, term: 0, membership: this.#initial[node] as Membership }
        : { index: snapshot.index, term: snapshot.term, membership: snapshot.membership };
    view.changes = [];
    for (const entry of persisted.entries) {
      if (entry.kind === "membership") {
        view.changes.push({ index: entry.index, term: entry.term, membership: entry.membership });
      }
    }
    view.commit = Math.max(persisted.hardState.commit, snapshot?.index ?? 0);
    view.leads = false;
  }

  crashed(node: number): void {
    this.#view(node).leads = false;
  }

  /** One step of `node` (after the safety checks, whose mirrors hold this step's log). */
  observe(node: number, event: Event, effects: readonly Effect[]): void {
    if (this.#safety.amnesiaSeen) return;
    const view = this.#view(node);
    const before = currentOf(view);
    const led = view.leads;
    // Indexed loops: the per-step path (transfer-checker.ts says why).
    for (let i = 0; i < effects.length; i++) {
      const effect = effects[i]!;
      if (effect.type !== "roleChanged") continue;
      const leads = effect.role === "leader";
      if (leads && !view.leads) this.#checkElection(node, view, before.membership, effect.term);
      view.leads = leads;
    }
    for (let i = 0; i < effects.length; i++) {
      const effect = effects[i]!;
      if (effect.type === "persist") this.#persist(node, view, effect);
    }
    if (led && !view.leads && event.type === "receive") this.#checkDisruption(node, event, before);
    if (view.leads) this.#checkStillVoter(node, view);
  }

  #persist(node: number, view: NodeView, effect: PersistEffect): void {
    const then = effect.then;
    for (let i = 0; i < then.length; i++) {
      const message = then[i]!;
      if (message.type === "requestVoteResponse" && message.granted && !message.preVote) {
        this.#voteGranted(message.from, message.to, message.term);
      }
    }
    const before = currentOf(view);
    const commit = Math.max(view.commit, effect.hardState?.commit ?? 0);
    const snapshot = effect.snapshot;
    if (snapshot !== undefined) {
      view.base = { index: snapshot.index, term: snapshot.term, membership: snapshot.membership };
      view.changes = view.changes.filter((change) => change.index > snapshot.index);
    }
    const truncateFrom = effect.truncateFrom;
    if (truncateFrom !== undefined) {
      view.changes = view.changes.filter((change) => change.index < truncateFrom);
    }
    // A snapshot that disagrees with the log replaces it whole: keep only what the log still holds.
    if (snapshot !== undefined) this.#dropVanished(node, view);
    for (const entry of effect.entries) {
      if (entry.kind !== "membership") continue;
      const previous = currentOf(view);
      if (view.leads && previous.index > commit) {
        this.#safety.report(
          "membership",
          node,
          `appended configuration ${entry.index}/${entry.term} (${describe(entry.membership)}) while ${previous.index} (${describe(previous.membership)}) is not committed (commit ${commit}): two changes in flight`,
        );
      }
      view.changes.push({ index: entry.index, term: entry.term, membership: entry.membership });
    }
    if (view.leads && commit > view.commit) {
      this.#checkCommitQuorum(node, commit, before.membership, currentOf(view).membership);
    }
    view.commit = Math.max(commit, snapshot?.index ?? 0);
  }

  #dropVanished(node: number, view: NodeView): void {
    const mirror = this.#safety.mirror(node);
    view.changes = view.changes.filter((change) => mirror.termAt(change.index) === change.term);
  }

  /** The leader committed up to `commit`: a quorum of its configuration holds that entry. */
  #checkCommitQuorum(node: number, commit: number, before: Membership, after: Membership): void {
    const term = this.#safety.mirror(node).termAt(commit);
    if (term === undefined) return;
    const holds = (id: NodeId): boolean => {
      const i = this.#indexOf.get(id);
      if (i === undefined) return false;
      const mirror = this.#safety.mirror(i);
      return commit <= mirror.baseIndex || mirror.termAt(commit) === term;
    };
    if (quorumOf(before, holds) || (after !== before && quorumOf(after, holds))) return;
    const holders = this.#safety.ids.filter(holds).map((id) => `n${id}`);
    this.#safety.report(
      "membership",
      node,
      `committed ${commit}/${term} held only by ${holders.join(",") || "nobody"}: no quorum of ${describe(before)}`,
    );
  }

  /** `voter` granted its vote in `term` to `candidate` (a vote is durable before it leaves). */
  #voteGranted(voter: NodeId, candidate: NodeId, term: number): void {
    const i = this.#indexOf.get(candidate);
    if (i === undefined) return;
    const view = this.#view(i);
    const votes = view.votes.get(term);
    if (votes === undefined) view.votes.set(term, new Set([voter]));
    else votes.add(voter);
  }

  #checkElection(node: number, view: NodeView, membership: Membership, term: number): void {
    const id = this.#safety.ids[node] as NodeId;
    const votes = view.votes.get(term) ?? new Set<NodeId>();
    const voted = (voter: NodeId) => voter === id || votes.has(voter);
    // A voter being removed may still win while its removal is uncommitted (thesis §4.2.2).
    if (!isVoter(membership, id) && currentOf(view).index <= view.commit) {
      this.#safety.report(
        "membership",
        node,
        `became leader of term ${term} though not a voter of ${describe(membership)}, committed`,
      );
    } else if (!quorumOf(membership, voted)) {
      const from = [...votes].map((voter) => `n${voter}`).join(",") || "nobody else";
      this.#safety.report(
        "membership",
        node,
        `became leader of term ${term} with votes from ${from}: no quorum of ${describe(membership)}`,
      );
    }
  }

  /** With CheckQuorum a leader ignores vote requests, least of all from outside its configuration. */
  #checkDisruption(node: number, event: Extract<Event, { type: "receive" }>, at: ConfigAt): void {
    const message = event.message;
    if (!this.#checkQuorum || message.type !== "requestVote") return;
    if (isMember(at.membership, message.from)) return;
    this.#safety.report(
      "membership",
      node,
      `deposed by a vote request of term ${message.term} from n${message.from}, outside ${describe(at.membership)}`,
    );
  }

  /** Thesis §4.2.2: once its removal commits, a leader steps down. */
  #checkStillVoter(node: number, view: NodeView): void {
    const current = currentOf(view);
    const id = this.#safety.ids[node] as NodeId;
    if (current.index > view.commit || isVoter(current.membership, id)) return;
    this.#safety.report(
      "membership",
      node,
      `still leads though ${current.index} (${describe(current.membership)}), committed, removed it`,
    );
  }

  #view(node: number): NodeView {
    const view = this.#views[node];
    if (view === undefined) throw new RangeError(`no node #${node}`);
    return view;
  }
}

function currentOf(view: NodeView): ConfigAt {
  // Never index -1: V8 reads it as a named property, through the prototypes, several times
  // slower than the bounds check (a fresh browser worker's first run, issue 15).
  const changes = view.changes;
  return changes.length > 0 ? (changes[changes.length - 1] as ConfigAt) : view.base;
}

/** A majority of `voters` and, while joint, of `outgoing` (learners never count). */
function quorumOf(membership: Membership, has: (id: NodeId) => boolean): boolean {
  const majority = (ids: readonly NodeId[]) => {
    let count = 0;
    for (const id of ids) if (has(id)) count++;
    return ids.length === 0 || count > ids.length / 2;
  };
  const outgoing = membership.outgoing;
  return majority(membership.voters) && (outgoing === undefined || majority(outgoing));
}

function isVoter(membership: Membership, id: NodeId): boolean {
  return membership.voters.includes(id) || (membership.outgoing?.includes(id) ?? false);
}

function isMember(membership: Membership, id: NodeId): boolean {
  return isVoter(membership, id) || membership.learners.includes(id);
}

/** `voters 1,2,3 outgoing 1,2 learners 4`, for a violation's detail. */
export function describe(membership: Membership): string {
  const parts = [`voters ${membership.voters.join(",") || "none"}`];
  if (membership.outgoing !== undefined) parts.push(`outgoing ${membership.outgoing.join(",")}`);
  if (membership.learners.length > 0) parts.push(`learners ${membership.learners.join(",")}`);
  return parts.join(" ");
}
