// What a SimFileSystem's disk holds after a crash (the draws of `CrashMode`) and after a bit
// flips at rest: the two ways its bytes change with no write asking for it.

import { dirsAfterCrash, type SimDir, type SimFile } from "./sim-disk-model.js";
import type { CrashMode } from "./sim-fs-types.js";

/** The bytes a torn write may scramble after its tear (`tornGarbageProbability`): one sector. */
const scrambledSectorBytes = 512;

/**
 * The directories a crash in `mode` leaves of `dirs`: none, all or a random prefix of each file's
 * and directory's unsynced changes (drawn from `random`), the last kept write torn at a random
 * byte and, with chance `tornGarbageProbability`, its sector scrambled after the tear.
 */
export function crashedDirs(
  dirs: ReadonlyMap<string, SimDir>,
  mode: CrashMode,
  random: () => number,
  tornGarbageProbability: number,
): Map<string, SimDir> {
  const kept = (count: number) =>
    mode === "loseUnsynced"
      ? 0
      : mode === "keepUnsynced"
        ? count
        : Math.floor(random() * (count + 1));
  const tear =
    mode === "keepUnsynced"
      ? (length: number) => length
      : (length: number) => Math.floor(random() * (length + 1));
  const garbage =
    mode === "keepUnsynced" || tornGarbageProbability === 0
      ? null
      : (length: number) =>
          random() < tornGarbageProbability
            ? Uint8Array.from({ length: Math.min(length, scrambledSectorBytes) }, () =>
                Math.floor(random() * 256),
              )
            : null;
  return dirsAfterCrash(dirs, kept, tear, garbage);
}

/**
 * Flips one bit of `file` (its byte drawn in `within`, default the whole file, then the bit) in
 * what the disk holds and in what a read sees. Returns the damaged byte's offset, or null when
 * the file or the range is empty.
 */
export function flipBitAtRest(
  file: SimFile,
  random: () => number,
  within?: { readonly from: number; readonly to: number },
): number | null {
  const length = file.current.length;
  if (length === 0) return null;
  const from = Math.max(0, within?.from ?? 0);
  const to = Math.min(length, within?.to ?? length);
  if (to <= from) return null;
  const offset = from + Math.floor(random() * (to - from));
  const mask = 1 << Math.floor(random() * 8);
  const current = file.current.view();
  current[offset] = (current[offset] as number) ^ mask;
  const durable = file.durable.view();
  if (offset < durable.length) durable[offset] = (durable[offset] as number) ^ mask;
  return offset;
}
