import type { PersistBatch, Persisted } from "@flotilla/core";
import type { SnapshotStorage } from "@flotilla/core/runtime";
import {
  FileStorage,
  type FileStorageRules,
  type FileSystem,
  StorageCorruptionError,
  StorageFullError,
  StorageNeedsReopenError,
} from "@flotilla/storage-file";
import {
  type CrashMode,
  SimFileSystem,
  type SimFileSystemOptions,
  type SimIoOp,
  segmentRecordSpans,
} from "@flotilla/storage-file/testing";
import type { Prng } from "@flotilla/transport-memory";
import { waitUntil } from "./async-work.js";
import { DiskCallOverlap } from "./disk-call-overlap.js";
import { DiskRemovals, type DiskShape } from "./disk-removals.js";
import { LeftoverFilesError, SnapshotBytesLostError } from "./errors.js";
import {
  type DamageableFiles,
  describeForgotten,
  type ScheduleAt,
  type SimStorage,
  type StorageFailed,
} from "./sim-storage.js";

// The default disk: the FileStorage users run, over a simulated page-cache file system
// (SimFileSystem from @flotilla/storage-file/testing): what a crash keeps is what the page cache
// and the fsyncs left (unsynced writes lost or torn at any byte, per file and per directory, in
// any combination; a rename durable only once its directory is fsynced).
//
// FileStorage is async. Its promises run as microtasks, which the simulator drains after every
// event (see AsyncWork). Only the device takes virtual time: each write (and each load) costs one
// disk latency, drawn from the disk's own PRNG stream and spent at its first fsync, as the bare
// disk charges one per write; reads and page-cache writes cost no simulated time and no events,
// but for a chunk of a snapshot read to send, which waits one latency (disk-removals.ts), and the
// cuts of a removal of an old file, one latency each.
// (Charging every fsync would make a vote cost three latencies: the scenario's disk would not be
// the one its options describe.) Every microtask runs in an order fixed by the program, so a run
// still replays bit for bit.
//
// Overlapping calls (a persist while a taken snapshot streams in, a chunk is read to send or a
// snapshot is restored; any two, if a caller overlapped them) are what a real disk reorders: the
// kernel serves each call's operations as they come, and each takes its own time. So while two
// or more calls are in flight on the disk, each operation first waits a delay drawn from the
// disk's "disk-order/<id>" stream (disk-call-overlap.ts), and the operations of overlapping calls
// interleave differently per seed; a crash falls between them when one waits for its latency. A
// call alone on the disk is never delayed (its order is the program's anyway), so the latency
// model above is unchanged.

/** Counts async chains in flight, so the simulator knows when the microtasks have settled. */
export interface AsyncWork {
  started(): void;
  ended(): void;
  /** Storage failed for a reason other than a crash: the run stops with outcome "crash". */
  failed(error: unknown): void;
}

/** A byte range of a file: `[from, to)`. */
type Span = { readonly from: number; readonly to: number };

/** A directory per node; the pid in its lock file (a crashed "process" never holds it again). */
const dataDir = "/data";
const pid = 1;

export class FileDiskStorage implements SimStorage {
  /** The node's disk; amnesia (`forget`) swaps in another. */
  fs: SimFileSystem;
  /** The durable files at the last `backup()`. */
  #backup: SimFileSystem | null = null;
  #fsOptions: SimFileSystemOptions;
  readonly #wrap: (fs: FileSystem) => FileSystem;
  /** The capacity of a full disk; unlimited when not full. */
  #capacityBytes = Number.POSITIVE_INFINITY;
  readonly #latency: () => number;
  readonly #nowMs: () => number;
  readonly #scheduleAt: ScheduleAt;
  readonly #work: AsyncWork;
  #storage: FileStorage | null = null;
  /** The latency the current write or load still has to spend (at its next fsync). */
  #owedMs = 0;
  /** Bumped by every crash: callbacks of an older life are dropped. */
  #life = 0;
  /** Whether a sector of this disk was damaged at rest (`corruptAtRest`). */
  #corrupted = false;
  readonly #rules: FileStorageRules | undefined;
  /** The calls in flight, and the delays of overlapping calls' operations ("disk-order/<id>"). */
  readonly #overlap: DiskCallOverlap;
  readonly #segmentBytesMax: number;
  /** The removals of old files in the background, and what a chunk read costs. */
  readonly #removals: DiskRemovals;

  constructor(
    prng: Prng,
    order: Prng,
    latency: () => number,
    nowMs: () => number,
    scheduleAt: ScheduleAt,
    work: AsyncWork,
    faults: Pick<SimFileSystemOptions, "syncFailureProbability" | "tornGarbageProbability"> = {},
    wrap: (fs: FileSystem) => FileSystem = (fs) => fs,
    rules?: FileStorageRules,
    shape: DiskShape = { segmentBytesMax: 4 * 1024, readLatency: latency },
  ) {
    this.#segmentBytesMax = shape.segmentBytesMax;
    this.#removals = new DiskRemovals(work, nowMs, scheduleAt, latency, shape);
    this.#overlap = new DiskCallOverlap(order);
    this.#wrap = wrap;
    this.#rules = rules;
    this.#latency = latency;
    this.#nowMs = nowMs;
    this.#scheduleAt = scheduleAt;
    this.#work = work;
    this.#fsOptions = {
      random: () => prng.next(),
      io: (op) => this.#io(op),
      ...faults,
    };
    this.fs = new SimFileSystem(this.#fsOptions);
  }

  get full(): boolean {
    return this.#capacityBytes !== Number.POSITIVE_INFINITY;
  }

  get damagedAtRest(): boolean {
    return this.#corrupted;
  }

  get removing(): boolean {
    return this.#removals.removing;
  }

  onRemovalCut(cut: () => void): void {
    this.#removals.cut = cut;
  }

  fill(headroomBytes: number): void {
    this.#capacityBytes = this.fs.usedBytes + headroomBytes;
    this.fs.capacityBytes = this.#capacityBytes;
  }

  free(): void {
    this.#capacityBytes = Number.POSITIVE_INFINITY;
    this.fs.capacityBytes = this.#capacityBytes;
  }

  endFaults(): void {
    this.free();
    this.#fsOptions = { ...this.#fsOptions, syncFailureProbability: 0 };
    this.fs.syncFailureProbability = 0;
  }

  stop(): void {
    // The process exits; the machine (and its page cache) lives on. The failed FileStorage is
    // dropped with its lock, which the next open breaks (its pid is not alive).
    this.#newLife();
    this.#owedMs = 0;
  }

  load(loaded: (persisted: Persisted) => void, failed: StorageFailed): void {
    const life = this.#life;
    this.#owedMs = this.#latency();
    this.#track(
      this.#overlap.counted(async () => {
        const storage = await FileStorage.open(dataDir, {
          fs: this.#wrap(this.fs),
          pid,
          isProcessAlive: () => false,
          segmentBytesMax: this.#segmentBytesMax,
          removal: this.#removals.pacing(life),
          ...(this.#rules === undefined ? {} : { rules: this.#rules }),
        });
        const persisted = await storage.load();
        await checkNoLeftovers(
          this.fs,
          persisted.snapshot?.index ?? null,
          persisted.snapshotBytesLost === true,
        );
        if (persisted.snapshotBytesLost === true && !this.#corrupted) {
          throw new SnapshotBytesLostError(dataDir, persisted.snapshot?.index ?? 0);
        }
        return { storage, persisted };
      }),
      ({ storage, persisted }) => {
        if (life !== this.#life) return;
        this.#storage = storage;
        loaded(persisted);
      },
      failed,
    );
  }

  write(batch: PersistBatch, durable: () => void, failed: StorageFailed): void {
    const storage = this.#storage;
    if (storage === null) throw new RangeError("write before the storage was loaded");
    const life = this.#life;
    this.#owedMs = this.#latency();
    this.#track(
      this.#overlap.counted(() => storage.persist(batch)),
      () => {
        if (life === this.#life) durable();
      },
      failed,
    );
  }

  snapshotStorage(): SnapshotStorage {
    const storage = this.#open();
    return {
      writeSnapshot: (index, data) =>
        this.#overlap.counted(() => storage.writeSnapshot(index, data)),
      writeSnapshotChunk: (snapshot, offset, data) =>
        this.#overlap.counted(() => storage.writeSnapshotChunk(snapshot, offset, data)),
      readSnapshotChunk: (snapshot, offset, length) =>
        this.#overlap.counted(() => storage.readSnapshotChunk(snapshot, offset, length)),
      readSnapshot: (snapshot) => this.#overlap.countedStream(() => storage.readSnapshot(snapshot)),
    };
  }

  #newLife(): void {
    this.#life++;
    this.#removals.newLife(this.#life);
    this.#storage = null;
    this.#overlap.newLife();
  }

  stopsNode(error: Error): boolean {
    return (
      error instanceof StorageFullError ||
      error instanceof StorageNeedsReopenError ||
      // Damage the fault made: the storage must refuse it, typed (the node stays down).
      // Corruption on a disk nothing damaged is a bug: the run crashes.
      (error instanceof StorageCorruptionError && this.#corrupted)
    );
  }

  #open(): FileStorage {
    const storage = this.#storage;
    if (storage === null) throw new RangeError("snapshot I/O before the storage was loaded");
    return storage;
  }

  crash(torn: Prng | null, tornEntries?: number): string {
    // A random crash keeps random prefixes of the unsynced changes, tearing the last at any byte;
    // a scripted one loses them all, or keeps them all (a process crash) when it asks to keep some.
    const mode: CrashMode =
      torn !== null
        ? { random: () => torn.next() }
        : tornEntries !== undefined && tornEntries > 0
          ? "keepUnsynced"
          : "loseUnsynced";
    this.#newLife();
    this.fs.crash(mode);
    return typeof mode === "string" ? ` (${mode})` : " (page cache torn at random)";
  }

  corruptAtRest(prng: Prng, files: DamageableFiles): string | null {
    const names = this.fs.names(dataDir);
    const targets: { name: string; spans?: readonly Span[] }[] = names
      .filter((name) => /^snapshot-\d+\.data$/.test(name))
      .map((name) => ({ name }));
    if (files === "snapshotsAndLog") targets.push(...this.#logRecordsToDamage(names));
    if (targets.length === 0) return null;
    const { name, spans } = prng.pick(targets);
    const within = spans === undefined ? undefined : prng.pick(spans);
    const offset = this.fs.corruptAtRest(`${dataDir}/${name}`, () => prng.next(), within);
    if (offset === null) return null;
    this.#corrupted = true;
    return `byte ${offset} of ${name}`;
  }

  /**
   * The log segments and the whole records in each that damage at rest may hit: every record but
   * the log's last, whose damage no storage can tell from a write torn before its fsync returned
   * (docs/architecture.md, "Torn writes and damage at rest"). Damage in any other record has a
   * whole record after it, or is in a segment before the last: FileStorage must refuse it.
   */
  #logRecordsToDamage(names: readonly string[]): { name: string; spans: readonly Span[] }[] {
    const segments = names.filter((name) => /^log-\d+\.seg$/.test(name)).sort();
    return segments.flatMap((name, i) => {
      const spans = segmentRecordSpans(this.fs.bytesOf(`${dataDir}/${name}`) ?? new Uint8Array());
      const eligible = i === segments.length - 1 ? spans.slice(0, -1) : spans;
      return eligible.length === 0 ? [] : [{ name, spans: eligible }];
    });
  }

  backup(): void {
    // What a power cut now would leave with nothing unsynced kept: the durable files.
    this.#backup = this.fs.afterCrash("loseUnsynced");
  }

  forget(fromBackup: boolean): string {
    const backup = fromBackup ? this.#backup : null;
    this.#newLife();
    this.fs = backup?.clone(this.#fsOptions) ?? new SimFileSystem(this.#fsOptions);
    this.#corrupted = false;
    this.fs.capacityBytes = this.#capacityBytes;
    return describeForgotten(backup !== null);
  }

  /**
   * Only the first fsync of a write waits its latency (see the top); the page cache absorbs the
   * rest. An operation of overlapping calls first waits a few scheduler turns (disk-call-overlap.ts).
   */
  #io(op: SimIoOp): Promise<void> {
    if ((op.kind === "sync" || op.kind === "syncDir") && this.#owedMs !== 0) {
      const atMs = this.#nowMs() + this.#owedMs;
      this.#owedMs = 0;
      return waitUntil(this.#work, atMs, this.#scheduleAt);
    }
    return this.#overlap.delay();
  }

  /**
   * Runs `promise` as tracked async work. A failure of an older life (a crash) is expected; the
   * storage's typed failures (a full disk, a failed fsync) go to `failed`: the node stops, as
   * createNode's does. Anything else is a bug: the run stops with outcome "crash".
   */
  #track<T>(promise: Promise<T>, then: (value: T) => void, failed: StorageFailed): void {
    const life = this.#life;
    const work = this.#work;
    work.started();
    promise.then(
      (value) => {
        try {
          then(value);
        } catch (error) {
          // What the completion set off threw (a checker, the state machine): the run crashes.
          work.failed(error);
        } finally {
          work.ended();
        }
      },
      (error: unknown) => {
        try {
          if (life !== this.#life) return;
          if (error instanceof Error && this.stopsNode(error)) {
            this.#storage = null;
            failed(error);
          } else {
            work.failed(error);
          }
        } finally {
          work.ended();
        }
      },
    );
  }
}

/**
 * What FileStorage's open promises (snapshot-files.ts): no temp file is left, no data file but the
 * snapshot in force's, and no quarantined file but the snapshot in force's while its bytes are
 * lost (kept for an operator until the repair puts a snapshot at or past it in force). Read
 * through the unwrapped file system, so a planted defect that hides a removal cannot hide the file.
 */
async function checkNoLeftovers(
  fs: FileSystem,
  inForce: number | null,
  bytesLost: boolean,
): Promise<void> {
  const kept = `snapshot-${inForce}.data`;
  const quarantined = bytesLost ? `snapshot-${inForce}.damaged` : null;
  const names = await fs.readdir(dataDir);
  const leftovers = names.filter(
    (name) =>
      name.endsWith(".tmp") ||
      (/^snapshot-\d+\.data$/.test(name) && name !== kept) ||
      (/^snapshot-\d+\.damaged$/.test(name) && name !== quarantined),
  );
  if (leftovers.length > 0) throw new LeftoverFilesError(dataDir, leftovers);
}
