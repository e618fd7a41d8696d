import type { FileSystem, WritableFile } from "@flotilla/storage-file";

// Planted defects of the layer under FileStorage, run through the simulator's `fileSystem` seam
// (RunOptions): each wraps the simulated file system the way a storage engine (or its I/O
// library) goes wrong under a failing disk. Nothing here touches the shipped storage.

function isErrno(error: unknown, code: string): boolean {
  return (error as { readonly code?: unknown } | null)?.code === code;
}

/**
 * fsync failure ("fsyncgate", PostgreSQL 2018): an fsync fails with EIO and is simply retried;
 * the retry succeeds because the kernel already marked the pages clean, so the storage
 * acknowledges data that the next power loss takes away.
 */
export function retriesFailedFsync(fs: FileSystem): FileSystem {
  const retry = async (sync: () => Promise<void>) => {
    try {
      await sync();
    } catch (error) {
      if (!isErrno(error, "EIO")) throw error;
      await sync();
    }
  };
  return {
    ...bind(fs),
    async openWritable(path, mode) {
      const file = await fs.openWritable(path, mode);
      return { ...bindFile(file), sync: () => retry(() => file.sync()) };
    },
    syncDir: (dir) => retry(() => fs.syncDir(dir)),
  };
}

/**
 * Disk full: a short write (ENOSPC after part of the data) is taken for a whole one, so the
 * storage acknowledges a record that is only partly on disk.
 */
export function ignoresShortWrite(fs: FileSystem): FileSystem {
  return {
    ...bind(fs),
    async openWritable(path, mode) {
      const file = await fs.openWritable(path, mode);
      return {
        ...bindFile(file),
        async write(data, position) {
          try {
            await file.write(data, position);
          } catch (error) {
            if (!isErrno(error, "ENOSPC")) throw error;
          }
        },
      };
    },
  };
}

function bind(fs: FileSystem): FileSystem {
  return {
    mkdir: (dir) => fs.mkdir(dir),
    readdir: (dir) => fs.readdir(dir),
    readFile: (path) => fs.readFile(path),
    openReadable: (path) => fs.openReadable(path),
    openWritable: (path, mode) => fs.openWritable(path, mode),
    createExclusive: (path, data) => fs.createExclusive(path, data),
    rename: (from, to) => fs.rename(from, to),
    unlink: (path) => fs.unlink(path),
    syncDir: (dir) => fs.syncDir(dir),
  };
}

function bindFile(file: WritableFile): WritableFile {
  return {
    write: (data, position) => file.write(data, position),
    sync: () => file.sync(),
    truncate: (size) => file.truncate(size),
    close: () => file.close(),
  };
}
