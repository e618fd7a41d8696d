// How far V8 lets this server's JavaScript heap grow between two full collections.
//
// V8 sets the old generation's next limit at a factor of what survived the last full collection.
// This server keeps its state and log in ArrayBuffers (the store's slabs, the log's buffers: up to
// hundreds of MB), so what survives on the JavaScript heap itself stays at 10-20 MB, and with
// V8's own factor each server ran a full mark-compact every 0.5-1 s while `bench growth` wrote
// 1 KiB values at ~3,000 writes/s: 28-61 per server in a 30 s run at 100 MB (`--trace-gc`). Each
// pause is 5-20 ms of a turn, and its helper threads take the second core from the other servers.
// At 4x (heap growing percent 300) the same run made 7-11 per server, and in three alternated
// pairs of 200 MB runs the longest event-loop stall was 33-46 ms against 46-55 ms, for peak RSS
// within a few per cent of the runs without (docs/benchmarks.md, growth, session 16). An
// operator's own `--heap-growing-percent` (on the command line or in NODE_OPTIONS) is left as it is.
import { setFlagsFromString } from "node:v8";

/** The growth this server asks of V8 unless the operator chose one: 300% (a factor of 4). */
export const serverHeapGrowingPercent = 300;

const flag = "--heap-growing-percent";

/**
 * The V8 flag to set, or null when the operator already set it. `execArgv` and `nodeOptions` are
 * the process's (`process.execArgv`, `process.env.NODE_OPTIONS`).
 */
export function heapGrowthFlag(
  execArgv: readonly string[],
  nodeOptions: string | undefined,
): string | null {
  // V8 takes its flags with dashes or underscores alike.
  const chosen = (arg: string) => {
    const name = arg.replaceAll("_", "-");
    return name === flag || name.startsWith(`${flag}=`);
  };
  if (execArgv.some(chosen)) return null;
  if ((nodeOptions ?? "").split(/\s+/).some(chosen)) return null;
  return `${flag}=${serverHeapGrowingPercent}`;
}

/**
 * Sets the server's heap growth unless the operator chose one. V8 reads this factor at every full
 * collection, so setting it once the process runs takes effect from the next one.
 */
export function applyServerHeapGrowth(): void {
  const chosen = heapGrowthFlag(process.execArgv, process.env.NODE_OPTIONS);
  if (chosen !== null) setFlagsFromString(chosen);
}
