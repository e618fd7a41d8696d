import type { NodeId } from "@flotilla/core";
import type { FileStorageRules, FileSystem } from "@flotilla/storage-file";
import type { Prng } from "@flotilla/transport-memory";
import { type AsyncWork, FileDiskStorage } from "./file-disk-storage.js";
import type { SimulationOptions } from "./options.js";
import { MemoryDiskStorage, type ScheduleAt, type SimStorage } from "./sim-storage.js";

/** What a node's disk needs from the simulation. */
export interface DiskHost {
  readonly nowMs: () => number;
  readonly scheduleAt: ScheduleAt;
  readonly work: AsyncWork;
  /** Whether storage faults (slow writes) are still on: they end at the heal. */
  readonly storageFaults: () => boolean;
  /** Counts a slow write and returns its extra latency. */
  readonly slowWrite: (extraMs: number) => number;
}

/**
 * The disk of node `id`: FileStorage over a simulated page-cache file system (the default), or
 * the bare in-memory disk (`--disk memory`). Its latencies and crash tears come from the node's
 * own "disk/<id>" PRNG stream, the order of overlapping calls' operations from "disk-order/<id>".
 */
export function nodeDisk(
  options: SimulationOptions,
  root: Prng,
  id: NodeId,
  host: DiskHost,
  fileSystem: ((fs: FileSystem) => FileSystem) | undefined,
  storageRules?: FileStorageRules,
): SimStorage {
  const diskPrng = root.fork(`disk/${id}`);
  const electionTimeoutMs = options.electionTimeoutTicks * options.tickMs;
  // A slow write (safety phase only) outlasts one to three election timeouts; no draw when the
  // scenario has none, so other runs replay as before.
  const latency = () =>
    diskPrng.intBetween(options.diskLatencyMinMs, options.diskLatencyMaxMs) +
    (options.slowWriteProbability > 0 &&
    host.storageFaults() &&
    diskPrng.chance(options.slowWriteProbability)
      ? host.slowWrite(electionTimeoutMs * diskPrng.intBetween(1, 3))
      : 0);
  return options.disk === "memory"
    ? new MemoryDiskStorage(latency, host.nowMs, host.scheduleAt, host.work)
    : new FileDiskStorage(
        diskPrng,
        root.fork(`disk-order/${id}`),
        latency,
        host.nowMs,
        host.scheduleAt,
        host.work,
        {
          syncFailureProbability: options.fsyncFailureProbability,
          tornGarbageProbability: options.tornGarbageProbability,
        },
        fileSystem,
        storageRules,
        {
          segmentBytesMax: options.segmentBytesMax,
          // A chunk read costs the latency band only (slow writes are the writes').
          readLatency: () =>
            diskPrng.intBetween(options.diskLatencyMinMs, options.diskLatencyMaxMs),
        },
      );
}
