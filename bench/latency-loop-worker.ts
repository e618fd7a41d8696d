// `pnpm bench latency` on real time: the one-event-loop setup (latency-one-loop.ts) in a worker
// thread, so that it gets the young generation `--young-mb` sets, as each node's thread does with
// `--workers`. Posts the run's result and ends.
import { parentPort, workerData } from "node:worker_threads";
import { runInOneLoop, type Settings } from "./latency-one-loop.js";

parentPort!.postMessage(await runInOneLoop(workerData as Settings, null));
