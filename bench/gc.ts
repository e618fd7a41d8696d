// Forcing a full garbage collection from a benchmark run without `--expose-gc` on the command line
// (`pnpm bench` starts node through tsx): memory numbers are read right after one, so garbage left
// by earlier work does not count.
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

let gc: (() => void) | undefined;

/**
 * Runs a full GC now. The flag must be set before a new context exists for `gc` to be in it; that
 * context is made once, so that it is not itself garbage in the heap being measured.
 */
export function forceGc(): void {
  if (gc === undefined) {
    setFlagsFromString("--expose-gc");
    gc = runInNewContext("gc") as () => void;
  }
  gc();
}
