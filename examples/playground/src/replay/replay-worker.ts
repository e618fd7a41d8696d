/// <reference lib="webworker" />
import { transferables } from "./frames.js";
import { type ReplayRequest, runReplay } from "./replay-run.js";

// The replay's worker: the simulator's fast-forward runs here, off the page's main thread. The
// recorded frames are columns whose buffers move to the page without a copy. The page keeps an
// idle worker for the next run: a worker's first run pays for V8 compiling and optimizing the
// simulator (on a 2-core machine its compiler threads took twice the run's own CPU), later runs
// reuse that code. `workerRun` says which run of this worker an answer is (1 = cold).

declare const self: DedicatedWorkerGlobalScope;

let runs = 0;

self.onmessage = async (event: MessageEvent<ReplayRequest>) => {
  const workerRun = ++runs;
  try {
    const result = await runReplay(event.data, () => performance.now());
    const transfer = result.frames === null ? [] : transferables(result.frames);
    self.postMessage({ ok: true, result, workerRun }, transfer);
  } catch (error) {
    self.postMessage({ ok: false, error: error instanceof Error ? error.message : String(error) });
  }
};
