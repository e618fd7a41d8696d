/// <reference lib="webworker" />
import { type ReplayRequest, runReplay } from "./replay-run.js";

// The replay's worker: the simulator's fast-forward runs here, off the page's main thread.

declare const self: DedicatedWorkerGlobalScope;

self.onmessage = async (event: MessageEvent<ReplayRequest>) => {
  try {
    self.postMessage({ ok: true, result: await runReplay(event.data, () => performance.now()) });
  } catch (error) {
    self.postMessage({ ok: false, error: error instanceof Error ? error.message : String(error) });
  }
};
