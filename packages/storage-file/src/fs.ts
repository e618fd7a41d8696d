// The few file-system operations FileStorage uses, behind an interface so that tests can swap in
// a file system that forgets everything not yet fsynced when it "crashes".

import { constants } from "node:fs";
import { type FileHandle, mkdir, open, readdir, readFile, rename, unlink } from "node:fs/promises";
import { dirname, resolve } from "node:path";

/** An open file, written at explicit positions. */
export interface WritableFile {
  /** Writes all of `data` at byte `position` (not synced); `data` may be reused once it settles. */
  write(data: Uint8Array, position: number): Promise<void>;
  /** Makes the file's data (and its size) durable: fdatasync. */
  sync(): Promise<void>;
  /**
   * `write` then `sync` as one operation: all of `data` at `position`, durable once it settles,
   * and a failure means what a failed `sync` means (nothing written since the last good sync may
   * be durable). Optional: callers without it write, then sync. `nodeFileSystem` has it as one
   * O_DSYNC write, one trip to libuv's thread pool instead of two (each trip wakes a pool thread
   * and then the event loop: on a busy or a halting VM, as much as the write itself).
   */
  writeSynced?(data: Uint8Array, position: number): Promise<void>;
  /** Cuts or extends the file to `size` bytes (not synced). */
  truncate(size: number): Promise<void>;
  /** Closes the handle; unsynced data stays unsynced. */
  close(): Promise<void>;
}

/** An open file read at explicit positions (a snapshot streamed out chunk by chunk). */
export interface ReadableFile {
  /** Its length in bytes when opened. */
  readonly size: number;
  /** Up to `length` bytes at `position` (fewer at the end of the file). */
  read(position: number, length: number): Promise<Uint8Array>;
  /** Releases the handle. */
  close(): Promise<void>;
}

/**
 * The file-system operations `FileStorage` uses: `nodeFileSystem` by default, a simulated disk in
 * tests (`SimFileSystem` from `@flotilla/storage-file/testing`).
 */
export interface FileSystem {
  /** Creates the directory and its parents if missing, durably. */
  mkdir(dir: string): Promise<void>;
  /** The names in `dir`. */
  readdir(dir: string): Promise<string[]>;
  /** The whole file, or null if it does not exist. */
  readFile(path: string): Promise<Uint8Array | null>;
  /** Opens a file for positional reads, or null if it does not exist. */
  openReadable(path: string): Promise<ReadableFile | null>;
  /** `create` makes a new empty file (replacing one that exists); `existing` opens one as it is. */
  openWritable(path: string, mode: "create" | "existing"): Promise<WritableFile>;
  /** Creates `path` holding `data` unless it exists; false if it did. Not synced. */
  createExclusive(path: string, data: Uint8Array): Promise<boolean>;
  /** Atomically replaces `to` with `from` (durable after `syncDir`). */
  rename(from: string, to: string): Promise<void>;
  /** Removes `path`; missing is fine. */
  unlink(path: string): Promise<void>;
  /** Makes the directory's entries (creations, renames, removals) durable. */
  syncDir(dir: string): Promise<void>;
}

export const nodeFileSystem: FileSystem = {
  async mkdir(dir) {
    const created = await mkdir(dir, { recursive: true });
    if (created === undefined) return;
    // A new directory is only durable once its parent's entry for it is: sync the parent of
    // every level that mkdir created, deepest first.
    for (let level = resolve(dir); ; level = dirname(level)) {
      await syncDirectory(dirname(level));
      if (level === resolve(created) || level === dirname(level)) return;
    }
  },
  readdir: (dir) => readdir(dir),
  async readFile(path) {
    try {
      // A plain Uint8Array view, not a Buffer: decoded entries hold views into it.
      const buffer = await readFile(path);
      return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    } catch (error) {
      if (isCode(error, "ENOENT")) return null;
      throw error;
    }
  },
  async openReadable(path) {
    let handle: Awaited<ReturnType<typeof open>>;
    try {
      handle = await open(path, "r");
    } catch (error) {
      if (isCode(error, "ENOENT")) return null;
      throw error;
    }
    const { size } = await handle.stat();
    return {
      size,
      async read(position, length) {
        const bytes = new Uint8Array(Math.max(0, Math.min(length, size - position)));
        let done = 0;
        while (done < bytes.length) {
          const { bytesRead } = await handle.read(
            bytes,
            done,
            bytes.length - done,
            position + done,
          );
          if (bytesRead === 0) break;
          done += bytesRead;
        }
        return done === bytes.length ? bytes : bytes.subarray(0, done);
      },
      close: () => handle.close(),
    };
  },
  async openWritable(path, mode) {
    const handle = await open(path, mode === "create" ? "w" : "r+");
    /** The same file opened O_DSYNC, on the first `writeSynced`: each write returns durable. */
    let synced: Promise<FileHandle> | null = null;
    /**
     * That file once open: a write then reaches the kernel within the call, not after an `await`
     * of the open, so a node's log write starts before the sends and applies its driver's turn
     * does right after handing it over (runtime.ts, issue #10).
     */
    let syncedHandle: FileHandle | null = null;
    return {
      write: (data, position) => writeAll(handle, data, position),
      sync: () => handle.datasync(),
      writeSynced(data, position) {
        if (syncedHandle !== null) return writeAll(syncedHandle, data, position);
        synced ??= open(path, constants.O_WRONLY | constants.O_DSYNC).then(
          (opened) => {
            syncedHandle = opened;
            return opened;
          },
          (error: unknown) => {
            synced = null; // the next call tries again
            throw error;
          },
        );
        return synced.then((opened) => writeAll(opened, data, position));
      },
      truncate: (size) => handle.truncate(size),
      async close() {
        const other = synced?.catch(() => null);
        synced = null;
        syncedHandle = null;
        try {
          await handle.close();
        } finally {
          await (await other)?.close();
        }
      },
    };
  },
  async createExclusive(path, data) {
    try {
      const handle = await open(path, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY);
      try {
        await handle.write(data, 0, data.length, 0);
      } finally {
        await handle.close();
      }
      return true;
    } catch (error) {
      if (isCode(error, "EEXIST")) return false;
      throw error;
    }
  },
  rename: (from, to) => rename(from, to),
  async unlink(path) {
    try {
      await unlink(path);
    } catch (error) {
      if (!isCode(error, "ENOENT")) throw error;
    }
  },
  syncDir: (dir) => syncDirectory(dir),
};

/** Writes all of `data` at `position` (a regular file may take it in several writes). */
async function writeAll(handle: FileHandle, data: Uint8Array, position: number): Promise<void> {
  let written = 0;
  while (written < data.length) {
    const result = await handle.write(data, written, data.length - written, position + written);
    written += result.bytesWritten;
  }
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function isCode(error: unknown, code: string): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === code;
}
