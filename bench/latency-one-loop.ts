// The latency bench's first setup: the three nodes, the delay line and the lanes in one event loop,
// on real or virtual time. On real time it runs in a worker thread of its own (latency-loop-worker.ts),
// like each node of the other setup, so that both get the same young generation (`--young-mb`).
import { bufferedStateMachine, createNode } from "@flotilla/core";
import { Counter } from "./counter.js";
import {
  type Clock,
  DelayLine,
  delayedTransports,
  lossModel,
  measuredRttMs,
  mulberry32,
} from "./delay-line.js";
import {
  benchStorage,
  GcMeter,
  type Lanes,
  measured,
  type PhaseResult,
  phase,
  realClock,
} from "./latency-lanes.js";
import type { WorkersRun } from "./latency-workers.js";
import type { VirtualClock } from "./virtual-clock.js";

/** The run's settings, from the flags. */
export type Settings = WorkersRun & {
  readonly loss: number;
  readonly datagramBytes: number;
  readonly seed: number;
};

/** What a run of either setup gives. */
export type RunResult = {
  readonly measuredMs: number;
  readonly phases: PhaseResult[];
  readonly leaderChanged: boolean;
};

/** The three nodes, the delay line and the lanes in this one event loop (real or virtual time). */
export async function runInOneLoop(
  settings: Settings,
  virtual: VirtualClock | null,
): Promise<RunResult> {
  const { ids, delayMs, waiting, electionTimeoutTicks, messageBytes, writeMs } = settings;
  const clock: Clock = virtual ?? realClock;
  const run = <T>(done: Promise<T>): Promise<T> => virtual?.runUntil(done) ?? done;
  const measuredMs = await run(measuredRttMs(delayMs, clock, waiting));
  const lost = lossModel(settings.loss, settings.datagramBytes, settings.seed);
  const line = new DelayLine(delayMs, clock, waiting);
  const transports = delayedTransports(ids, line, lost);
  const nodes = ids.map((id) =>
    createNode<number>({
      id,
      voters: ids,
      tickMs: 10,
      electionTimeoutTicks,
      ...(messageBytes === undefined ? {} : { entriesBytesPerMessageMax: messageBytes }),
      transport: transports.get(id)!,
      storage: benchStorage(settings.offHeapLog, writeMs, clock),
      stateMachine: bufferedStateMachine(new Counter()),
      ...(virtual === null ? {} : { scheduler: virtual }),
    }),
  );
  for (const node of nodes) await run(node.start());
  nodes[0]!.campaign();
  const wait = (ms: number) => new Promise((r) => clock.setTimeout(() => r(undefined), ms));
  while (nodes[0]!.status().role !== "leader") await run(wait(5));
  const term = nodes[0]!.status().term;
  const target = {
    leader: () => nodes.find((n) => n.status().role === "leader"),
    term: () => Math.max(...nodes.map((n) => n.status().term)),
  };
  const lanes: Lanes = { delayMs, thinkMs: settings.thinkMs, draw: mulberry32(7) };
  const phases: PhaseResult[] = [];
  const gc = new GcMeter();
  for (const inflight of settings.inflights) {
    const measure = () => phase(target, inflight, lanes, settings.seconds, clock, run);
    phases.push(
      await measured(measure, async () => ({
        lateMs: line.takeLateness(),
        spinMs: line.takeSpinMs(),
        oversleptMs: line.takeOversleep(),
        gc: gc.take(),
      })),
    );
  }
  gc.stop();
  const leaderChanged = nodes[0]!.status().term !== term || nodes[0]!.status().role !== "leader";
  for (const node of nodes) await run(node.stop());
  return { measuredMs, phases, leaderChanged };
}
