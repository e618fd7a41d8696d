// The runtime's record of the state machine: what it applied, exactly once and in order, and when
// the snapshot policy wants a snapshot. It never calls the state machine: the shell around the
// runtime does (createNode awaits the application's, the simulator runs its own), and reports back.

import type { Entry, Snapshot } from "../entry.js";
import { InvalidEventError } from "../errors.js";
import type { Index, Term } from "../ids.js";
import { nextRandom } from "../prng.js";
import type { TurnWork } from "./turn-work.js";

/**
 * When to snapshot: after `everyEntries` applied entries or `everyBytes` bytes of applied
 * commands (either), or, with `proportional`, once the commands applied since the last snapshot
 * hold `logRatio` times that snapshot's size, and at least `logBytesMin` bytes.
 */
export type SnapshotPolicy = {
  readonly everyEntries: number | undefined;
  readonly everyBytes: number | undefined;
  readonly proportional?: ProportionalSnapshots | undefined;
};

/**
 * A snapshot policy that scales with the state (like CockroachDB's log truncation against the
 * range's size): a fixed count re-writes the whole state every N writes, so its cost per write
 * grows with the state (at 200 MB, 10,000 writes of 1 KiB each cost a 200 MB snapshot: 20x write
 * amplification). Waiting for `logRatio` x the last snapshot's size bounds the snapshot bytes
 * written per byte of command at (1 + logRatio) / logRatio for a growing state (1 / logRatio for
 * one of steady size), whatever its size; the price is a log (in memory, and replayed on restart)
 * of up to `logRatio` x the state. `logBytesMin` keeps a small state from snapshotting every few
 * writes.
 */
export type ProportionalSnapshots = {
  readonly logRatio: number;
  readonly logBytesMin: number;
  /**
   * Staggers the nodes' snapshots: each snapshot waits a share of the threshold drawn anew after
   * the one before, in [1 - spread, 1], from `seed`. The nodes of a cluster apply the same entries
   * within milliseconds of each other, so with one threshold they all write a snapshot of the
   * whole state at once: three servers sharing a host's cores stalled each other's event loops
   * (`bench growth`, docs/benchmarks.md, session 16). Drawn below the threshold, never above, so
   * the log kept in memory stays within `logRatio` of the state. Absent: no stagger (the
   * simulator's policy, whose runs stay as they were).
   */
  readonly stagger?: { readonly spread: number; readonly seed: number } | undefined;
};

/**
 * What the state machine has applied (index, term, snapshot index) and when the snapshot policy
 * calls for a new snapshot; checks that applies arrive in log order.
 */
export class ApplyTracker<Result> {
  readonly #policy: SnapshotPolicy;
  appliedIndex = 0 as Index;
  appliedTerm = 0 as Term;
  /** The latest durable snapshot (stored after a capture, installed or loaded); 0 if none. */
  snapshotIndex = 0 as Index;
  /** The index of a captured snapshot whose bytes are being stored; no other is taken meanwhile. */
  storingIndex: Index | null = null;
  /** The index of the last capture, install or load: the policy counts from there. */
  #baseIndex = 0 as Index;
  /** Bytes of commands applied since `#baseIndex`. */
  #bytesSinceSnapshot = 0;
  /** A snapshot a follower that lost its own waits for (`want`), until one is taken. */
  #wantedIndex: Index | null = null;
  /** `retake`: the wanted snapshot may be at an index already taken (its bytes went bad). */
  #retake = false;
  /** The size of the latest durable snapshot, in bytes (the proportional policy's yardstick). */
  #snapshotBytes = 0;
  /** The share of the proportional threshold the next snapshot waits for (`stagger`). */
  #thresholdShare = 1;
  /** The stagger's PRNG state. */
  #staggerState: number;

  constructor(policy: SnapshotPolicy) {
    this.#policy = policy;
    this.#staggerState = policy.proportional?.stagger?.seed ?? 0;
    this.#drawThresholdShare();
  }

  /** A new share of the threshold for the next snapshot (1 without a stagger). */
  #drawThresholdShare(): void {
    const stagger = this.#policy.proportional?.stagger;
    if (stagger === undefined) return;
    const { state, value } = nextRandom(this.#staggerState);
    this.#staggerState = state;
    this.#thresholdShare = 1 - stagger.spread * (value / 2 ** 32);
  }

  /**
   * Checks that `entries` continue the applied log: each entry exactly once, in order. Anything
   * else would make replicas diverge, so it is refused before the state machine sees any of it.
   */
  checkOrder(entries: readonly Entry[]): void {
    let expected = this.appliedIndex + 1;
    for (const entry of entries) {
      if (entry.index !== expected) {
        throw new InvalidEventError(
          `apply out of order: entry ${entry.index} after applied index ${expected - 1}`,
        );
      }
      expected++;
    }
  }

  /** The state machine applied `entries`; `results[i]` is its result for a command entry. */
  applied(
    entries: readonly Entry[],
    results: readonly (Result | undefined)[],
    work: TurnWork<Result>,
  ): void {
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i] as Entry;
      const isCommand = entry.kind === "command";
      this.appliedIndex = entry.index;
      this.appliedTerm = entry.term;
      if (isCommand) this.#bytesSinceSnapshot += entry.data.byteLength;
      work.addOutcome({
        kind: "applied",
        index: entry.index,
        term: entry.term,
        isCommand,
        result: results[i],
        membership: entry.kind === "membership" ? entry.membership : undefined,
      });
    }
  }

  /** The state machine holds `snapshot` now (loaded at start or installed from the leader). */
  restored(snapshot: Snapshot): void {
    this.appliedIndex = snapshot.index;
    this.appliedTerm = snapshot.term;
    this.snapshotIndex = snapshot.index;
    this.#baseIndex = snapshot.index;
    this.#snapshotBytes = snapshot.size;
    this.#bytesSinceSnapshot = 0;
    this.#drawThresholdShare();
  }

  /**
   * Snapshot policy: true once `everyEntries` entries or `everyBytes` bytes of commands were
   * applied since the last snapshot, or the proportional threshold is reached (and something was
   * applied since, and no capture is still being stored).
   */
  snapshotDue(): boolean {
    if (this.appliedIndex <= this.#baseIndex || this.storingIndex !== null) return false;
    if (this.wantedDue()) return true;
    const { everyEntries, everyBytes, proportional } = this.#policy;
    const since = this.#bytesSinceSnapshot;
    if (everyEntries !== undefined && this.appliedIndex - this.#baseIndex >= everyEntries) {
      return true;
    }
    if (everyBytes !== undefined && since >= everyBytes) return true;
    if (proportional === undefined) return false;
    const { logBytesMin, logRatio } = proportional;
    return since >= this.#thresholdShare * Math.max(logBytesMin, logRatio * this.#snapshotBytes);
  }

  /** Whether a snapshot a follower waits for (`want`) can be captured now. */
  wantedDue(): boolean {
    const wanted = this.#wantedIndex;
    return (
      wanted !== null &&
      this.appliedIndex >= wanted &&
      (this.#retake || this.appliedIndex > this.#baseIndex) &&
      this.storingIndex === null
    );
  }

  /**
   * The bytes of the snapshot at `index` went bad while this node ran (a chunk read to send
   * failed its check): capture the state machine again, at once, even at that same index.
   */
  retake(index: Index): void {
    this.#wantedIndex = index;
    this.#retake = true;
  }

  /**
   * A follower lost its snapshot's bytes and needs one at or past `index` (`snapshotWanted`): due
   * as soon as the state machine applied that far, whatever the policy says.
   */
  want(index: Index): void {
    if (index <= this.#baseIndex) return; // taken already (being stored, or in force)
    if (this.#wantedIndex === null || index > this.#wantedIndex) this.#wantedIndex = index;
  }

  /** The state machine captured itself as of `index`; its bytes are being stored. */
  snapshotTaken(index: Index): void {
    if (this.#wantedIndex !== null && index >= this.#wantedIndex) {
      this.#wantedIndex = null;
      this.#retake = false;
    }
    this.#baseIndex = index;
    this.#bytesSinceSnapshot = 0;
    this.storingIndex = index;
    this.#drawThresholdShare();
  }

  /**
   * The captured snapshot's bytes are durable and the core was told (`snapshot` event); `inForce`
   * is the snapshot it put in force, or null if it had a newer one already.
   */
  snapshotStored(inForce: Snapshot | null, work: TurnWork<Result>): void {
    this.storingIndex = null;
    if (inForce !== null) {
      this.snapshotIndex = inForce.index;
      this.#snapshotBytes = inForce.size;
      work.addSnapshot({ index: inForce.index, term: inForce.term, origin: "taken" });
    }
  }
}
