import type { FileSystem } from "@flotilla/storage-file";

// Planted violations of FileStorage's snapshot rules (snapshot-files.ts), through the simulator's
// `fileSystem` seam: each wraps the simulated file system so that one of FileStorage's calls on
// snapshot files is lost, as if FileStorage forgot it. Nothing here touches the shipped storage.

const incoming = ".incoming.tmp";

/**
 * Durable before restore: a received snapshot is put in force (renamed to its data file, the
 * `snapshot` file rewritten, the log compacted) and restored without its bytes fsynced, so a power
 * loss afterwards can leave the snapshot in force torn or short.
 */
export function installsUnsyncedSnapshot(fs: FileSystem): FileSystem {
  return {
    ...bind(fs),
    async openWritable(path, mode) {
      const file = await fs.openWritable(path, mode);
      if (!path.endsWith(incoming)) return file;
      return { ...bindFile(file), sync: async () => undefined };
    },
  };
}

/**
 * The snapshot-then-truncation window: the `snapshot` file naming the new snapshot is renamed into
 * place without the directory fsync that makes it durable, and the log segments and the older
 * snapshot's data file it covers are removed after it. A power loss can then keep the removals
 * but not the rename: the old snapshot in force, its data file or the entries after it gone.
 */
export function compactsBeforeSnapshotDurable(fs: FileSystem): FileSystem {
  let skipNextSync = false;
  return {
    ...bind(fs),
    async rename(from, to) {
      await fs.rename(from, to);
      if (to.endsWith("/snapshot")) skipNextSync = true;
    },
    async syncDir(dir) {
      if (skipNextSync) {
        skipNextSync = false;
        return;
      }
      await fs.syncDir(dir);
    },
  };
}

/**
 * Cleanup after a cut transfer: the incoming file of a snapshot transfer cut by a crash or by a
 * newer snapshot is never removed, so each cut transfer leaves its bytes on disk for good.
 */
export function keepsCutTransfers(fs: FileSystem): FileSystem {
  return {
    ...bind(fs),
    async unlink(path) {
      if (path.endsWith(incoming)) return;
      await fs.unlink(path);
    },
  };
}

/**
 * Quarantined files kept for good: the `.damaged` file of a snapshot found damaged is never
 * removed, not once a snapshot at or past it is in force (the repair done), not at the next open,
 * so every damage a node ever repaired leaves a snapshot's worth of bytes on its disk.
 */
export function keepsQuarantinedFiles(fs: FileSystem): FileSystem {
  return {
    ...bind(fs),
    async unlink(path) {
      if (path.endsWith(".damaged")) return;
      await fs.unlink(path);
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

function bindFile(file: Awaited<ReturnType<FileSystem["openWritable"]>>) {
  return {
    write: (data: Uint8Array, position: number) => file.write(data, position),
    sync: () => file.sync(),
    truncate: (size: number) => file.truncate(size),
    close: () => file.close(),
  };
}
