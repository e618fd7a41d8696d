import type {
  Effect,
  Entry,
  HardState,
  NodeId,
  PersistEffect,
  Role,
  Snapshot,
} from "@flotilla/core";
import { ApplyChecker } from "./apply-checker.js";
import { CommittedEntries } from "./committed-entries.js";
import { EntryTable } from "./entry-table.js";
import { entryHash, LogMirror } from "./log-mirror.js";
import { amnesiaExcusable, type Violation, type ViolationKind } from "./violation.js";

// The safety checkers. They only observe: the simulator shows them every effect a node emits
// (in the order emitted) and every restart, and they never feed anything back. Each check is
// incremental, O(1) per entry appended, committed or applied, with no rescans of whole logs:
// - a global table keyed by (index, term) holding the entry's content hash and its predecessor's
//   term gives Log Matching by induction (equal (index, term) => equal entry and equal previous
//   (index, term) => equal prefixes);
// - one global array of committed (term, hash) per index, one of applied (term, hash) (kept by
//   the ApplyChecker, apply-checker.ts), and the terms in which the global commit index
//   advanced (committed-entries.ts), give state machine safety and leader completeness with a
//   lookup at election time instead of a scan.
// The first violation is kept; later ones are usually consequences of it.
//
// Amnesia (a node back from an older or empty data directory) breaks Raft's assumptions, so
// after the first amnesia of a run the violations it can cause (`amnesiaExcusable`) are excused:
// the first is kept as `excused`, and the checker then stops (its picture of the cluster no
// longer holds). What is still demanded of such a run: nothing else fails first, nothing
// throws, no spin, and the liveness phase (docs/testing.md, "Amnesia").

type NodeView = {
  readonly mirror: LogMirror;
  role: Role;
  /** The term of the last roleChanged, i.e. the reducer's in-memory term. */
  roleTerm: number;
  /** The last hard state emitted (or loaded on restart). */
  term: number;
  vote: NodeId | null;
  commit: number;
  applied: number;
};

export class SafetyChecker {
  violation: Violation | null = null;
  /** The first violation excused because a node had amnesia before it; the checks then stop. */
  excused: Violation | null = null;
  #amnesia = false;
  readonly ids: readonly NodeId[];
  readonly #nodes: NodeView[];
  readonly #leaderOfTerm = new Map<number, number>();
  readonly #committed = new CommittedEntries();
  readonly #seen = new EntryTable();
  readonly #applies = new ApplyChecker();

  constructor(ids: readonly NodeId[]) {
    this.ids = ids;
    this.#nodes = ids.map(() => ({
      mirror: new LogMirror(),
      role: "follower",
      roleTerm: 0,
      term: 0,
      vote: null,
      commit: 0,
      applied: 0,
    }));
  }

  /** How many terms had a leader. */
  get leadersElected(): number {
    return this.#leaderOfTerm.size;
  }

  get commitIndex(): number {
    return this.#committed.commitIndex;
  }

  /** The checkers' view of a node's log (what its persist effects built). */
  mirror(node: number): LogMirror {
    return this.#view(node).mirror;
  }

  /** A node (re)starts from what storage held; `durable` mirrors that log. */
  restarted(
    node: number,
    hardState: HardState,
    snapshot: Snapshot | null,
    durable: LogMirror,
  ): void {
    const view = this.#view(node);
    // A win of a term this node's disk never held was taken back with the write that lost it:
    // a sole voter wins in the step that starts its election, and the term barrier keeps it from
    // acting until that term is durable (driver/term-barrier.ts). Forgotten, so the node's own
    // later vote in that term (it starts again below it) is not taken for a second leader.
    for (const [term, leader] of this.#leaderOfTerm) {
      if (leader === node && term > hardState.term) this.#leaderOfTerm.delete(term);
    }
    view.mirror.copyFrom(durable);
    view.role = "follower";
    view.roleTerm = hardState.term;
    view.term = hardState.term;
    view.vote = hardState.vote;
    view.commit = hardState.commit;
    view.applied = snapshot?.index ?? 0;
  }

  crashed(node: number): void {
    this.#view(node).role = "follower";
  }

  /** `node` lost its data (an older or empty data directory): see the top of the file. */
  amnesia(node: number): void {
    this.#view(node);
    this.#amnesia = true;
  }

  /** Whether a node lost its data in this run (an older or empty data directory). */
  get amnesiaSeen(): boolean {
    return this.#amnesia;
  }

  /** Whether an excused violation stopped the checks. */
  get #stopped(): boolean {
    return this.excused !== null;
  }

  /**
   * Everything one step of `node` emitted. Role changes are taken first: a leader that steps
   * down and truncates in one step did so as a follower, and one elected and appending its no-op
   * in one step appends as leader. Everything else is taken in the order emitted.
   */
  observe(node: number, effects: readonly Effect[]): void {
    if (this.#stopped) return;
    // Indexed loops: the per-step path (transfer-checker.ts says why).
    for (let i = 0; i < effects.length; i++) {
      const effect = effects[i]!;
      if (effect.type === "roleChanged") this.#roleChanged(node, effect.role, effect.term);
    }
    for (let i = 0; i < effects.length; i++) {
      const effect = effects[i]!;
      switch (effect.type) {
        case "persist":
          this.#persist(node, effect);
          break;
        case "apply":
          this.#applied(node, effect.entries);
          break;
        case "restore":
          this.#restored(node, effect.snapshot);
          break;
        case "roleChanged":
        case "proposalAccepted":
        case "proposalRejected":
        case "membershipChanged":
        case "membershipChangeAccepted":
        case "membershipChangeRejected":
        case "peerLostLog":
        case "snapshotWanted":
        case "readReady":
        case "readRejected":
        case "leadershipTransferStarted":
        case "leadershipTransferRefused":
        case "leadershipTransferAborted":
        case "dropped":
        case "readSnapshotChunk":
        case "writeSnapshotChunk":
          break;
        default: {
          const never: never = effect;
          throw new TypeError(`unknown effect ${JSON.stringify(never)}`);
        }
      }
    }
  }

  #persist(node: number, effect: PersistEffect): void {
    const view = this.#view(node);
    if (effect.snapshot !== undefined) this.#snapshot(node, view, effect.snapshot);
    if (effect.truncateFrom !== undefined && effect.truncateFrom <= view.mirror.lastIndex) {
      this.#truncate(node, view, effect.truncateFrom);
    }
    for (const entry of effect.entries) this.#append(node, view, entry);
    if (effect.hardState !== undefined) this.#hardState(node, view, effect.hardState);
  }

  #applied(node: number, entries: readonly Entry[]): void {
    const finding = this.#applies.applied(this.#view(node), entries);
    if (finding !== null) this.#fail(finding.kind, node, finding.detail);
  }

  #restored(node: number, snapshot: Snapshot): void {
    const finding = this.#applies.restored(this.#view(node), snapshot);
    if (finding !== null) this.#fail(finding.kind, node, finding.detail);
  }

  #roleChanged(node: number, role: Role, term: number): void {
    const view = this.#view(node);
    const wasLeader = view.role === "leader" && view.roleTerm === term;
    view.role = role;
    view.roleTerm = term;
    if (role !== "leader" || wasLeader) return;
    const other = this.#leaderOfTerm.get(term);
    if (other !== undefined && other !== node) {
      this.#fail(
        "electionSafety",
        node,
        `became leader of term ${term}, already led by ${this.ids[other]}`,
      );
      return;
    }
    this.#leaderOfTerm.set(term, node);
    this.#checkCompleteness(node, view, term);
  }

  /** A client was told that its command at (index, term) took effect. */
  acknowledged(node: number, index: number, term: number): void {
    if (this.#stopped) return;
    const finding = this.#committed.acknowledge(index, term);
    if (finding !== null) this.#fail(finding.kind, node, finding.detail);
  }

  /** At the end of a run: every acknowledged entry is still in `leader`'s log. */
  checkAcknowledgedIn(node: number): void {
    if (this.#stopped) return;
    const finding = this.#committed.missingFrom(this.#view(node).mirror);
    if (finding !== null) this.#fail(finding.kind, node, finding.detail);
  }

  #snapshot(node: number, view: NodeView, snapshot: Snapshot): void {
    const committed = this.#committed.termAt(snapshot.index);
    if (committed !== undefined && snapshot.index > 0 && committed !== snapshot.term) {
      this.#fail(
        "stateMachineSafety",
        node,
        `stored a snapshot at ${snapshot.index}/${snapshot.term}; ${snapshot.index}/${committed} is committed`,
      );
    }
    view.mirror.compact(snapshot.index, snapshot.term);
    view.commit = Math.max(view.commit, snapshot.index);
  }

  #truncate(node: number, view: NodeView, from: number): void {
    if (view.role === "leader") {
      this.#fail(
        "leaderAppendOnly",
        node,
        `leader of term ${view.roleTerm} truncated its log from ${from}`,
      );
    } else if (from <= view.commit) {
      this.#fail(
        "commitRegressed",
        node,
        `truncated from ${from}, at or below its commit index ${view.commit}`,
      );
    }
    view.mirror.truncateFrom(from);
  }

  #append(node: number, view: NodeView, entry: Entry): void {
    const mirror = view.mirror;
    if (entry.index !== mirror.lastIndex + 1) {
      this.#fail(
        "malformedEffect",
        node,
        `appended ${entry.index} to a log ending at ${mirror.lastIndex}`,
      );
      return;
    }
    const prevTerm = mirror.lastTerm;
    if (entry.term < prevTerm) {
      this.#fail(
        "logMatching",
        node,
        `appended ${entry.index}/${entry.term} after term ${prevTerm}`,
      );
      return;
    }
    if (view.role === "leader" && entry.term !== view.roleTerm) {
      this.#fail(
        "leaderAppendOnly",
        node,
        `leader of term ${view.roleTerm} appended ${entry.index}/${entry.term}`,
      );
      return;
    }
    const hash = entryHash(entry);
    this.#checkSeen(node, entry.index, entry.term, prevTerm, hash);
    mirror.append(entry.term, hash);
  }

  #checkSeen(node: number, index: number, term: number, prevTerm: number, hash: number): void {
    const clash = this.#seen.record(index, term, prevTerm, hash);
    if (clash !== null) this.#fail("logMatching", node, clash);
  }

  #hardState(node: number, view: NodeView, hardState: HardState): void {
    if (hardState.term < view.term) {
      this.#fail("termOrVoteRegressed", node, `term went from ${view.term} to ${hardState.term}`);
      return;
    }
    if (hardState.term === view.term && view.vote !== null && hardState.vote !== view.vote) {
      this.#fail(
        "termOrVoteRegressed",
        node,
        `vote in term ${view.term} changed from ${view.vote} to ${hardState.vote ?? "nobody"}`,
      );
      return;
    }
    view.term = hardState.term;
    view.vote = hardState.vote;
    if (hardState.commit < view.commit) {
      this.#fail("commitRegressed", node, `commit went from ${view.commit} to ${hardState.commit}`);
      return;
    }
    if (hardState.commit > view.commit) this.#advanceCommit(node, view, hardState.commit);
  }

  #advanceCommit(node: number, view: NodeView, commit: number): void {
    const mirror = view.mirror;
    if (commit > mirror.lastIndex) {
      this.#fail(
        "malformedEffect",
        node,
        `commit ${commit} beyond its last index ${mirror.lastIndex}`,
      );
      return;
    }
    const finding = this.#committed.advance(mirror, view.commit, commit, view.roleTerm);
    if (finding !== null) {
      this.#fail(finding.kind, node, finding.detail);
      return;
    }
    view.commit = commit;
  }

  // Leader Completeness (§5.4): every entry committed in a term below `term` is in the new
  // leader's log. Checking the highest such index suffices: Log Matching extends it to the prefix.
  #checkCompleteness(node: number, view: NodeView, term: number): void {
    const index = this.#committed.committedBefore(term);
    if (index === null) return;
    const mirror = view.mirror;
    if (index < mirror.baseIndex) return;
    const held = mirror.termAt(index);
    const committed = this.#committed.termAt(index);
    if (held !== committed) {
      this.#fail(
        "leaderCompleteness",
        node,
        `became leader of term ${term} without committed ${index}/${committed} (it holds ${held === undefined ? "nothing" : `${index}/${held}`})`,
      );
    }
  }

  /** Records a violation found outside the per-step checks (the end-of-run history check). */
  report(kind: ViolationKind, node: number | null, detail: string): void {
    if (this.violation !== null || this.#stopped) return;
    const violation = { kind, node: node === null ? null : (this.ids[node] ?? null), detail };
    if (this.#amnesia && amnesiaExcusable.has(kind)) this.excused = violation;
    else this.violation = violation;
  }

  #view(node: number): NodeView {
    const view = this.#nodes[node];
    if (view === undefined) throw new RangeError(`no node #${node}`);
    return view;
  }

  #fail(kind: ViolationKind, node: number, detail: string): void {
    this.report(kind, node, detail);
  }
}
