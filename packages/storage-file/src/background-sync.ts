// Snapshot files are written in slices (taken) or chunks (received) of up to hundreds of
// megabytes, and made durable by one fdatasync at the end. With the kernel's default writeback
// (dirty pages wait up to 30 s, or for a tenth of memory), that one call then writes the whole
// file: hundreds of megabytes in one go, which delays the install of a received snapshot by the
// disk's whole write time after the last byte arrived, and holds up the log's own fdatasyncs
// (the next commits) behind it. So every `syncEveryBytes` written, a sync starts in the
// background: the disk writes while more bytes arrive, and the last sync has little left to do.
// It adds durability early and takes none away: the file still counts as durable only after the
// final sync (`finish`), which also reports any failure of the background ones.
//
// The writer is also paced by them: before a sync starts, the one before it must have finished,
// so at most two ranges (one syncing, one being written) are ever dirty. Unpaced, a snapshot
// reached the page cache far faster than the disk took it, and the log's O_DSYNC writes (a
// follower's acknowledgements wait for them) queued behind the backlog on the one disk: 142-223
// ms at worst beside two 200 MB snapshots written at once with 16 MiB syncs, against 24-34 ms
// paced at 4 MiB, for a snapshot written ~15% slower (bench storage --beside-snapshot-mb 200,
// docs/benchmarks.md). An election timeout in examples/kv is 200 ms.

import type { WritableFile } from "./fs.js";

/** Bytes written between background syncs of a snapshot file. */
export const syncEveryBytes = 4 * 1024 * 1024;

export class BackgroundSync {
  readonly #file: WritableFile;
  #unsyncedBytes = 0;
  #pending: Promise<void> = Promise.resolve();
  #failure: { readonly error: unknown } | null = null;

  constructor(file: WritableFile) {
    this.#file = file;
  }

  /**
   * Counts `bytes` written. Once enough are unsynced, waits for the sync before (the pace) and
   * starts one for them in the background. The writer awaits this before writing more.
   */
  async wrote(bytes: number): Promise<void> {
    this.#unsyncedBytes += bytes;
    if (this.#unsyncedBytes < syncEveryBytes) return;
    this.#unsyncedBytes = 0;
    await this.#pending;
    // One at a time, and a failure is kept for `finish` (never an unhandled rejection).
    this.#pending = this.#file.sync().catch((error: unknown) => {
      this.#failure ??= { error };
    });
  }

  /** Waits for the background syncs, then syncs the rest: durable once this resolves. */
  async finish(): Promise<void> {
    await this.#pending;
    if (this.#failure !== null) throw this.#failure.error;
    await this.#file.sync();
  }

  /** Waits for the background syncs, ignoring their failures (the file is being discarded). */
  async abandon(): Promise<void> {
    await this.#pending;
  }
}
