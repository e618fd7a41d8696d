// `pnpm bench latency --workers`: the same three nodes, lanes and delay, but each node on its own
// thread (latency-node-worker.ts), as the nodes of a real cluster run in their own processes. In
// one event loop, any node's garbage collection or long turn holds up all three and every message
// in flight; here a follower's pause holds up only that follower, and the leader still commits with
// the other one, as in a deployment. The main thread only starts the workers and asks the leader's
// for each phase.
import { MessageChannel, type MessagePort, Worker } from "node:worker_threads";
import type { NodeId } from "@flotilla/core";
import { percentile, type Waiting } from "./delay-line.js";
import { measured, type PhaseResult, sumGc } from "./latency-lanes.js";
import type { NodeWorkerData, NodeWorkerReply, NodeWorkerRequest } from "./latency-node-worker.js";
import type { RunResult, Settings } from "./latency-one-loop.js";

/** What `runOnWorkers` needs: the run's settings, as in one event loop. */
export type WorkersRun = {
  /**
   * Each node thread's young generation in MB (0: V8's default, which grows to tens of MB). Every
   * entry a node logs survives its first scavenge, so a large young generation copies megabytes in
   * one pause (10-19 ms measured at 64 in flight): a commit's whole budget over the round trip.
   */
  readonly youngMb: number;
  readonly ids: readonly NodeId[];
  readonly delayMs: number;
  readonly waiting: Waiting;
  readonly electionTimeoutTicks: number;
  readonly messageBytes: number | undefined;
  readonly writeMs: number;
  /** The log encoded off the heap (off-heap-storage.ts) instead of MemoryStorage. */
  readonly offHeapLog: boolean;
  readonly thinkMs: number;
  readonly seconds: number;
  readonly inflights: readonly number[];
};

/**
 * A worker thread running a TypeScript module of this directory. Node 20 does not run the main
 * thread's `--import tsx` in a worker, so the worker registers tsx's loader itself first.
 */
function tsWorker(
  file: string,
  workerData: unknown,
  youngMb: number,
  transfer: MessagePort[] = [],
) {
  const bootstrap = `import(${JSON.stringify(import.meta.resolve("tsx/esm/api"))}).then((tsx) => {
  tsx.register();
  return import(${JSON.stringify(new URL(file, import.meta.url).href)});
});`;
  return new Worker(bootstrap, {
    eval: true,
    workerData,
    transferList: transfer,
    ...(youngMb > 0 ? { resourceLimits: { maxYoungGenerationSizeMb: youngMb } } : {}),
  });
}

/** The one-event-loop setup on real time, in a worker thread of its own (`--young-mb`). */
export async function runInLoopWorker(settings: Settings): Promise<RunResult> {
  const worker = tsWorker("./latency-loop-worker.ts", settings, settings.youngMb);
  try {
    return await new Promise<RunResult>((resolve, reject) => {
      worker.once("message", resolve);
      worker.once("error", reject);
    });
  } finally {
    await worker.terminate();
  }
}

/** A node's worker and the replies it owes, answered in order. */
class NodeThread {
  readonly #worker: Worker;
  readonly #waiting: ((reply: NodeWorkerReply) => void)[] = [];

  constructor(data: NodeWorkerData, transfer: MessagePort[], youngMb: number) {
    this.#worker = tsWorker("./latency-node-worker.ts", data, youngMb, transfer);
    this.#worker.on("message", (reply: NodeWorkerReply) => this.#waiting.shift()?.(reply));
    this.#worker.on("error", (error) => {
      console.error(`latency --workers: ${data.id} failed:`, error);
      process.exitCode = 1;
    });
  }

  ask<T extends NodeWorkerRequest["type"]>(
    request: NodeWorkerRequest & { type: T },
  ): Promise<NodeWorkerReply & { type: T }> {
    return new Promise((resolve) => {
      this.#waiting.push((reply) => resolve(reply as NodeWorkerReply & { type: T }));
      this.#worker.postMessage(request);
    });
  }

  terminate(): Promise<number> {
    return this.#worker.terminate();
  }
}

/** A port for each ordered pair of nodes: `ports.get(a)[b]` is a's end of the a-b channel. */
function pairPorts(ids: readonly NodeId[]): Map<NodeId, Record<string, MessagePort>> {
  const ports = new Map(ids.map((id) => [id, {} as Record<string, MessagePort>]));
  for (let i = 0; i < ids.length; i++) {
    for (let j = i + 1; j < ids.length; j++) {
      const { port1, port2 } = new MessageChannel();
      ports.get(ids[i]!)![ids[j]!] = port1;
      ports.get(ids[j]!)![ids[i]!] = port2;
    }
  }
  return ports;
}

/** Runs the phases with a thread per node; the first node is made leader and runs the lanes. */
export async function runOnWorkers(run: WorkersRun): Promise<RunResult> {
  const ports = pairPorts(run.ids);
  const threads = run.ids.map((id) => {
    const own = ports.get(id)!;
    const data: NodeWorkerData = {
      id,
      ids: run.ids,
      delayMs: run.delayMs,
      waiting: run.waiting,
      electionTimeoutTicks: run.electionTimeoutTicks,
      messageBytes: run.messageBytes,
      writeMs: run.writeMs,
      offHeapLog: run.offHeapLog,
      ports: own,
    };
    return new NodeThread(data, Object.values(own), run.youngMb);
  });
  try {
    const leader = threads[0]!;
    const rtt = await leader.ask({ type: "rtt", peer: run.ids[1]!, samples: 200 });
    await Promise.all(threads.map((t) => t.ask({ type: "start" })));
    await leader.ask({ type: "campaign" });
    let status = await leader.ask({ type: "status" });
    while (status.role !== "leader") {
      await new Promise((resolve) => setTimeout(resolve, 5));
      status = await leader.ask({ type: "status" });
    }
    const term = status.term;
    const phases: PhaseResult[] = [];
    for (const inflight of run.inflights) {
      const { seconds, thinkMs } = run;
      const measure = async () =>
        (await leader.ask({ type: "phase", inflight, seconds, thinkMs })).result;
      const takeLineStats = async () => {
        const replies = await Promise.all(threads.map((t) => t.ask({ type: "lineStats" })));
        return {
          lateMs: replies.flatMap((r) => r.lateMs),
          spinMs: replies.reduce((sum, r) => sum + r.spinMs, 0),
          oversleptMs: replies.flatMap((r) => r.oversleptMs),
          gc: sumGc(replies.map((r) => r.gc)),
        };
      };
      phases.push(await measured(measure, takeLineStats));
    }
    const after = await leader.ask({ type: "status" });
    await Promise.all(threads.map((t) => t.ask({ type: "stop" })));
    return {
      measuredMs: percentile(rtt.samplesMs, 0.5),
      phases,
      leaderChanged: after.term !== term || after.role !== "leader",
    };
  } finally {
    await Promise.all(threads.map((t) => t.terminate()));
  }
}
