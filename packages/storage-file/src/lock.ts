// One process per storage directory: two writers appending to the same segments would interleave
// records and destroy the log. The lock is a file created exclusively, holding the owner's pid.
// A lock whose pid is no longer alive was left by a crash and is taken over.
//
// NB: two processes taking over the same stale lock at the same instant can race (each removes
// the stale file and one may remove the other's fresh one); the re-read after creating narrows
// this to a window of a few system calls. A kernel lock (flock) would close it, but Node has none.

import { join } from "node:path";
import { StorageLockedError } from "./errors.js";
import type { FileSystem } from "./fs.js";

export const lockFile = "LOCK";

export type LockOptions = {
  readonly pid: number;
  readonly isProcessAlive: (pid: number) => boolean;
};

export async function acquireLock(
  fs: FileSystem,
  dir: string,
  options: LockOptions,
): Promise<void> {
  const path = join(dir, lockFile);
  const mine = new TextEncoder().encode(`${options.pid}\n`);
  for (let attempt = 0; attempt < 3; attempt++) {
    if (await fs.createExclusive(path, mine)) {
      const holder = await readHolder(fs, path);
      if (holder === options.pid) return;
      if (holder !== null) throw new StorageLockedError(dir, holder);
      continue;
    }
    const holder = await readHolder(fs, path);
    // The holder may be this very process (another FileStorage open on the directory): alive.
    if (holder !== null && options.isProcessAlive(holder))
      throw new StorageLockedError(dir, holder);
    await fs.unlink(path);
  }
  const holder = (await readHolder(fs, path)) ?? -1;
  throw new StorageLockedError(dir, holder);
}

export async function releaseLock(fs: FileSystem, dir: string): Promise<void> {
  await fs.unlink(join(dir, lockFile));
}

/** The pid in the lock file, or null if it is missing or unreadable (a crash while creating it). */
async function readHolder(fs: FileSystem, path: string): Promise<number | null> {
  const bytes = await fs.readFile(path);
  if (bytes === null) return null;
  const text = new TextDecoder().decode(bytes).trim();
  return /^[1-9][0-9]*$/.test(text) ? Number(text) : null;
}

/** Whether a process with this pid exists (signal 0 checks without signalling). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as { code?: unknown }).code === "EPERM";
  }
}
