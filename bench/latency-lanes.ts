// The latency bench's clients and nodes' parts shared by its two setups (one event loop for all,
// or a worker thread per node): closed-loop lanes that keep W proposals in flight at the leader
// and time each one from propose() to its promise settling (committed and applied there), and
// the nodes' storage.
import { PerformanceObserver } from "node:perf_hooks";
import { type FlotillaNode, MemoryStorage, type PersistBatch, type Storage } from "@flotilla/core";
import { type Clock, percentile } from "./delay-line.js";
import { type Interval, overlapMs, slowestWaves } from "./latency-tail.js";
import { OffHeapStorage } from "./off-heap-storage.js";

/** The host's timers and clock, for the real-time runs. */
export const realClock: Clock = {
  setTimeout: (callback: () => void, delayMs: number): unknown => setTimeout(callback, delayMs),
  clearTimeout: (handle: unknown) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  queueMicrotask: (callback: () => void) => queueMicrotask(callback),
  now: () => performance.now(),
};

/**
 * The bench's storage: MemoryStorage, or with `offHeap` the log encoded off the JS heap
 * (off-heap-storage.ts). With `writeMs`, each write that touches the log takes that long on the
 * clock, a stand-in for an fsync (`--write-ms`); like FileStorage, a batch that only moves the
 * hard state (in steady state, the commit index) writes nothing and takes no time.
 */
export function benchStorage(offHeap: boolean, writeMs: number, clock: Clock): Storage {
  const storage = offHeap ? new OffHeapStorage() : new MemoryStorage();
  if (writeMs <= 0) return storage;
  return {
    load: () => storage.load(),
    async persist(batch: PersistBatch) {
      const touchesLog =
        batch.entries.length > 0 ||
        batch.snapshot !== undefined ||
        batch.truncateFrom !== undefined;
      if (touchesLog)
        await new Promise((resolve) => clock.setTimeout(() => resolve(undefined), writeMs));
      return storage.persist(batch);
    },
    writeSnapshot: (index, data) => storage.writeSnapshot(index, data),
    writeSnapshotChunk: (snapshot, offset, data) =>
      storage.writeSnapshotChunk(snapshot, offset, data),
    readSnapshotChunk: (snapshot, offset, length) =>
      storage.readSnapshotChunk(snapshot, offset, length),
    readSnapshot: (snapshot) => storage.readSnapshot(snapshot),
    close: () => storage.close(),
  };
}

export type Phase = Awaited<ReturnType<typeof phase>>;

/** The garbage collector's pauses in the threads that run nodes, since the last count. */
export type GcPauses = {
  /** Pauses of this thread's collector (every kind), summed, in ms. */
  readonly totalMs: number;
  readonly count: number;
  /** The longest pause, in ms. */
  readonly maxMs: number;
  /** Each pause's span on the wall clock every thread shares (`performance.timeOrigin` + now). */
  readonly spans: readonly Interval[];
};

/**
 * Counts this thread's garbage-collection pauses (each one holds up every node of the thread and
 * every commit in flight there): `take` returns what was counted since the last `take`.
 */
export class GcMeter {
  readonly #observer: PerformanceObserver;
  #pauses: GcPauses = { totalMs: 0, count: 0, maxMs: 0, spans: [] };

  constructor() {
    this.#observer = new PerformanceObserver((list) => this.#count(list.getEntries()));
    this.#observer.observe({ entryTypes: ["gc"] });
  }

  take(): GcPauses {
    // Entries not yet handed to the callback (it runs later, in a task of its own).
    this.#count(this.#observer.takeRecords());
    const pauses = this.#pauses;
    this.#pauses = { totalMs: 0, count: 0, maxMs: 0, spans: [] };
    return pauses;
  }

  stop(): void {
    this.#observer.disconnect();
  }

  #count(entries: readonly { readonly duration: number; readonly startTime: number }[]): void {
    let { totalMs, count, maxMs } = this.#pauses;
    const spans = this.#pauses.spans as Interval[];
    for (const { duration, startTime } of entries) {
      totalMs += duration;
      count += 1;
      maxMs = Math.max(maxMs, duration);
      const start = performance.timeOrigin + startTime;
      spans.push([start, start + duration]);
    }
    this.#pauses = { totalMs, count, maxMs, spans };
  }
}

/**
 * What the threads that run nodes report after a phase: their delay lines' lateness, the time
 * they spun to hit due times and how late their sleeps woke (delay-line.ts), their GC.
 */
export type LineStats = {
  readonly lateMs: readonly number[];
  readonly spinMs: number;
  readonly oversleptMs: readonly number[];
  readonly gc: GcPauses;
};

/** The GC pauses of several threads as one: summed, the longest of all. */
export function sumGc(pauses: readonly GcPauses[]): GcPauses {
  return {
    totalMs: pauses.reduce((sum, p) => sum + p.totalMs, 0),
    count: pauses.reduce((sum, p) => sum + p.count, 0),
    maxMs: Math.max(0, ...pauses.map((p) => p.maxMs)),
    spans: pauses.flatMap((p) => p.spans),
  };
}

/**
 * A phase with the lateness of the messages the delay lines delivered meanwhile, the CPU the
 * whole process (every thread, the garbage collector's included) used per commit, less the delay
 * lines' spin to due times (the bench's wire, not the nodes), and the pauses
 * of the collectors of the threads that run nodes (per commit, count, longest).
 */
export type PhaseResult = Phase & {
  readonly lateP50Ms: number;
  readonly lateP99Ms: number;
  readonly cpuUsPerCommit: number;
  readonly gcUsPerCommit: number;
  readonly gcPauses: number;
  readonly gcMaxMs: number;
  /** The slowest 1% of the commits as waves (latency-tail.ts): how many, and the GC inside them. */
  readonly tailWaves: number;
  readonly tailGcMs: number;
  /** The delay lines' sleeps that woke late: the latest, in ms, and how many by 1 ms or more. */
  readonly oversleepMaxMs: number;
  readonly oversleeps1Ms: number;
};

/** Runs `measure` (a phase) and adds its delay lines' lateness, the GC and the process's CPU. */
export async function measured(
  measure: () => Promise<Phase>,
  takeLineStats: () => Promise<LineStats>,
): Promise<PhaseResult> {
  await takeLineStats();
  const cpuBefore = process.cpuUsage();
  const result = await measure();
  const cpu = process.cpuUsage(cpuBefore);
  const { lateMs, spinMs, oversleptMs, gc } = await takeLineStats();
  const commits = Math.max(1, result.commits);
  // The delay lines' spin is the bench's wire, not the nodes' work.
  const nodesCpuUs = Math.max(0, cpu.user + cpu.system - spinMs * 1000);
  return {
    ...result,
    lateP50Ms: percentile(lateMs, 0.5),
    lateP99Ms: percentile(lateMs, 0.99),
    cpuUsPerCommit: nodesCpuUs / commits,
    gcUsPerCommit: (gc.totalMs * 1000) / commits,
    gcPauses: gc.count,
    gcMaxMs: gc.maxMs,
    tailWaves: result.tailWindows.length,
    tailGcMs: overlapMs(result.tailWindows, gc.spans),
    oversleepMaxMs: oversleptMs.reduce((most, ms) => Math.max(most, ms), 0),
    oversleeps1Ms: oversleptMs.filter((ms) => ms >= 1).length,
  };
}

/** How the lanes pace themselves: start spread over a round trip, then think between proposals. */
export type Lanes = {
  readonly delayMs: number;
  /** Most a lane waits between an answer and its next proposal (a seeded draw in [0, thinkMs)). */
  readonly thinkMs: number;
  readonly draw: () => number;
};

/** The nodes as the lanes see them. */
export type LaneTarget = {
  /** The node that leads now (a lossy network may change it), if the lanes can reach it. */
  leader(): FlotillaNode<number> | undefined;
  /** The highest term of the nodes, to count leader changes. */
  term(): number;
};

/** One phase: `inflight` lanes for `seconds` (after 300 ms of warm-up), each commit timed. */
export async function phase(
  target: LaneTarget,
  inflight: number,
  { delayMs, thinkMs, draw }: Lanes,
  seconds: number,
  clock: Clock,
  run: <T>(done: Promise<T>) => Promise<T>,
) {
  const command = new Uint8Array(64);
  const latencies: number[] = [];
  // When each measured commit ended, on the wall clock the threads share (virtual: the clock's).
  const ends: number[] = [];
  const origin = clock === realClock ? performance.timeOrigin : 0;
  const perSecond = new Array<number>(Math.ceil(seconds)).fill(0);
  let errors = 0;
  let commits = 0;
  const termBefore = target.term();
  const warmupEnd = clock.now() + 300;
  const end = warmupEnd + seconds * 1000;
  // Lanes start spread over one round trip, as independent clients would be; started together
  // on virtual time they would move in lockstep, every turn all proposals or all acknowledgements.
  const spreadMs = (2 * delayMs) / inflight;
  const lane = async (_: unknown, k: number) => {
    await new Promise((r) => clock.setTimeout(() => r(undefined), k * spreadMs));
    // Looked up again only after a failure (a deposed leader refuses): a node's status() is an
    // object per call, garbage the nodes would have to collect for every commit.
    let leader = target.leader();
    while (clock.now() < end) {
      const start = clock.now();
      try {
        if (leader === undefined) throw new Error("no leader");
        await leader.propose(command);
        commits += 1;
      } catch {
        // None known, or it no longer leads: wait a tick.
        errors += 1;
        await new Promise((r) => clock.setTimeout(() => r(undefined), 10));
        leader = target.leader();
        continue;
      }
      // Think time (--think-ms) keeps the lanes apart, so turns mix answers and new proposals.
      if (thinkMs > 0)
        await new Promise((r) => clock.setTimeout(() => r(undefined), thinkMs * draw()));
      if (start < warmupEnd) continue;
      const end = clock.now();
      latencies.push(end - start);
      ends.push(origin + end);
      const second = Math.floor((clock.now() - warmupEnd) / 1000);
      if (second < perSecond.length) perSecond[second]! += 1;
    }
  };
  await run(Promise.all(Array.from({ length: inflight }, lane)));
  return {
    inflight,
    /** Every commit of the phase, the warm-up's included (for CPU per commit). */
    commits,
    opsPerSec: Math.round(latencies.length / seconds),
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
    minPerSecond: Math.min(...perSecond),
    errors,
    leaderChanges: target.term() - termBefore,
    /** The slowest 1% as waves (a wave: commits that ended within a round trip of each other). */
    tailWindows: slowestWaves(ends, latencies, 2 * delayMs),
  };
}
