/// <reference lib="webworker" />
import { transferables } from "./frames.js";
import { type ReplayRequest, runReplay } from "./replay-run.js";

// The replay's worker: the simulator's fast-forward runs here, off the page's main thread. The
// recorded frames are columns whose buffers move to the page without a copy.

declare const self: DedicatedWorkerGlobalScope;

self.onmessage = async (event: MessageEvent<ReplayRequest>) => {
  try {
    const result = await runReplay(event.data, () => performance.now());
    const transfer = result.frames === null ? [] : transferables(result.frames);
    self.postMessage({ ok: true, result }, transfer);
  } catch (error) {
    self.postMessage({ ok: false, error: error instanceof Error ? error.message : String(error) });
  }
};
