import type { Prng } from "@flotilla/transport-memory";

// Crashes inside a streamed snapshot's windows (issue #11): while a node writes a snapshot it
// took, while a leader sends one (chunks read from its storage), while a follower receives one
// (chunks stored in its incoming file, not yet put in force). Random crashes seldom land there
// (a window lasts a few disk latencies), so the swarm also draws `snapshotCrashProbability`:
// right after each piece of snapshot I/O the node crashes, with that chance, at a moment drawn
// within the disk's latency (before or after the I/O completes). Every crash, biased or not, is
// counted by the windows it hit, so a sweep says how often each one is exercised.

/** A window of a streamed snapshot a crash may hit. */
export type SnapshotWindow = "writing" | "sending" | "receiving";

/** Crashes that hit a node in each window (a crash may count in more than one). */
export type SnapshotCrashCounts = {
  readonly writing: number;
  readonly sending: number;
  readonly receiving: number;
  /** Crashes scheduled right after a piece of snapshot I/O (`snapshotCrashProbability`). */
  readonly biased: number;
  /** Crashes while the node's storage removed an old file in the background (gradual-removal.ts). */
  readonly removing: number;
  /** Of those, crashes scheduled right after one of its cuts (`snapshotCrashProbability`). */
  readonly biasedRemoving: number;
};

/** One node's snapshot I/O in the current life, as far as the windows need it. */
export class SnapshotActivity {
  /** Taken snapshots whose bytes are still being stored. */
  #writes = 0;
  /** When the node last read a chunk to send (a leader's transfer), or -infinity. */
  #lastChunkReadMs = Number.NEGATIVE_INFINITY;
  /** The snapshot whose chunks the node is receiving, until one at least as new is in force. */
  #receiving: number | null = null;

  writeStarted(): void {
    this.#writes++;
  }

  writeEnded(): void {
    if (this.#writes > 0) this.#writes--;
  }

  chunkRead(nowMs: number): void {
    this.#lastChunkReadMs = nowMs;
  }

  chunkStored(snapshotIndex: number): void {
    this.#receiving = snapshotIndex;
  }

  /** A write that put the snapshot at `snapshotIndex` in force is durable. */
  installed(snapshotIndex: number): void {
    if (this.#receiving !== null && snapshotIndex >= this.#receiving) this.#receiving = null;
  }

  /** The windows open now; a transfer counts as under way for `sendingMs` after a chunk read. */
  open(nowMs: number, sendingMs: number): readonly SnapshotWindow[] {
    const windows: SnapshotWindow[] = [];
    if (this.#writes > 0) windows.push("writing");
    if (nowMs - this.#lastChunkReadMs <= sendingMs) windows.push("sending");
    if (this.#receiving !== null) windows.push("receiving");
    return windows;
  }

  /** The process is gone: its I/O with it. */
  reset(): void {
    this.#writes = 0;
    this.#lastChunkReadMs = Number.NEGATIVE_INFINITY;
    this.#receiving = null;
  }
}

/** What the biased crashes need of the simulation. */
export interface SnapshotCrashHost {
  readonly nowMs: number;
  /** Whether faults are still on (the safety phase). */
  faultsOn(): boolean;
  /** Runs `crash` at `atMs`. */
  scheduleAt(atMs: number, crash: () => void): void;
}

/** Counts crashes by window, and schedules the biased ones from its own PRNG stream. */
export class SnapshotCrashes {
  readonly #prng: Prng;
  readonly #probability: number;
  readonly #latencyMaxMs: number;
  readonly #host: SnapshotCrashHost;
  #writing = 0;
  #sending = 0;
  #receiving = 0;
  #biased = 0;
  #removing = 0;
  #biasedRemoving = 0;
  /** The stream of the crashes drawn after removal cuts ("removalCrashes"): the others' untouched. */
  readonly #removalPrng: Prng;

  constructor(
    prng: Prng,
    probability: number,
    latencyMaxMs: number,
    host: SnapshotCrashHost,
    removalPrng: Prng,
  ) {
    this.#prng = prng;
    this.#probability = probability;
    this.#latencyMaxMs = latencyMaxMs;
    this.#host = host;
    this.#removalPrng = removalPrng;
  }

  get counts(): SnapshotCrashCounts {
    return {
      writing: this.#writing,
      sending: this.#sending,
      receiving: this.#receiving,
      biased: this.#biased,
      removing: this.#removing,
      biasedRemoving: this.#biasedRemoving,
    };
  }

  /** A node crashed with these windows open, and (`removing`) an old file being removed. */
  crashed(windows: readonly SnapshotWindow[], removing = false): void {
    if (removing) this.#removing++;
    for (const window of windows) {
      if (window === "writing") this.#writing++;
      else if (window === "sending") this.#sending++;
      else this.#receiving++;
    }
  }

  /**
   * A node started a piece of snapshot I/O: with the run's chance, `crash` runs at a moment drawn
   * within the disk's latency (the I/O may or may not have completed by then). No draw when the
   * run has none, so such runs replay as before.
   */
  ioStarted(crash: (prng: Prng) => void): void {
    if (this.#probability === 0 || !this.#host.faultsOn()) return;
    if (!this.#prng.chance(this.#probability)) return;
    const atMs = this.#host.nowMs + this.#prng.int(this.#latencyMaxMs + 2);
    this.#host.scheduleAt(atMs, () => {
      if (!this.#host.faultsOn()) return;
      this.#biased++;
      crash(this.#prng);
    });
  }

  /**
   * A node's storage cut an old file down a step (gradual-removal.ts): with the same chance,
   * `crash` runs within the disk's latency, so before or after the next cut. Cuts of a removal
   * are a few disk latencies long in all, and random crashes seldom land there; a crash midway is
   * what the removal's guards are for (a covered segment renamed first, docs/testing.md). Drawn
   * from a stream of its own, so the other biased crashes of a run stay where they were.
   */
  removalCut(crash: (prng: Prng) => void): void {
    if (this.#probability === 0 || !this.#host.faultsOn()) return;
    const prng = this.#removalPrng;
    if (!prng.chance(this.#probability)) return;
    const atMs = this.#host.nowMs + prng.int(this.#latencyMaxMs + 2);
    this.#host.scheduleAt(atMs, () => {
      if (!this.#host.faultsOn()) return;
      this.#biasedRemoving++;
      crash(prng);
    });
  }
}
