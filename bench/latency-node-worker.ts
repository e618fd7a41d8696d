// One node of `pnpm bench latency --workers`, on its own thread (worker_threads), as a node of a
// real cluster has its own process: its own event loop, heap and garbage collector. Peers talk
// over MessagePorts, one per pair. A message leaves at once with its due time (sent + the one-way
// delay, on the wall clock all threads share); the receiver holds it in its own delay line until
// then, as a network card holds a packet until it arrives. The leader's thread also runs the lanes
// (latency-lanes.ts), so proposals and their timing stay beside the leader, as in one loop.
import { type MessagePort, parentPort, workerData } from "node:worker_threads";
import {
  bufferedStateMachine,
  createNode,
  decodeMessage,
  encodeMessage,
  type Message,
  type NodeId,
  type Transport,
} from "@flotilla/core";
import { Counter } from "./counter.js";
import { DelayLine, mulberry32, type Waiting } from "./delay-line.js";
import { benchStorage, GcMeter, type LineStats, phase, realClock } from "./latency-lanes.js";

/** What the main thread gives each node's worker. */
export type NodeWorkerData = {
  readonly id: NodeId;
  readonly ids: readonly NodeId[];
  readonly delayMs: number;
  readonly waiting: Waiting;
  readonly electionTimeoutTicks: number;
  readonly messageBytes: number | undefined;
  readonly writeMs: number;
  /** The log encoded off the heap instead of MemoryStorage (`--off-heap-log`). */
  readonly offHeapLog: boolean;
  /** A port to each peer, by the peer's id. */
  readonly ports: Readonly<Record<string, MessagePort>>;
};

/** The main thread's requests; each is answered with a `NodeWorkerReply` of the same type. */
export type NodeWorkerRequest =
  | { readonly type: "start" }
  | { readonly type: "campaign" }
  | { readonly type: "status" }
  | { readonly type: "rtt"; readonly peer: NodeId; readonly samples: number }
  | {
      readonly type: "phase";
      readonly inflight: number;
      readonly seconds: number;
      readonly thinkMs: number;
    }
  | { readonly type: "lineStats" }
  | { readonly type: "stop" };

export type NodeWorkerReply =
  | { readonly type: "start" }
  | { readonly type: "campaign" }
  | { readonly type: "status"; readonly role: string; readonly term: number }
  | { readonly type: "rtt"; readonly samplesMs: readonly number[] }
  | { readonly type: "phase"; readonly result: Awaited<ReturnType<typeof phase>> }
  | ({ readonly type: "lineStats" } & LineStats)
  | { readonly type: "stop" };

/** What crosses a peer port: a Raft message, or a ping of the round-trip measurement. */
type Wire =
  | { readonly kind: "raft"; readonly due: number; readonly bytes: Uint8Array }
  | { readonly kind: "ping" | "pong"; readonly due: number; readonly from: NodeId };

const data = workerData as NodeWorkerData;
const port = parentPort!;
/** The wall clock every thread shares, in ms; `performance.now()` counts from each thread's start. */
const wallNow = () => performance.timeOrigin + performance.now();
const line = new DelayLine(data.delayMs, realClock, data.waiting);
const gc = new GcMeter();
const handlers: ((message: Message) => void)[] = [];
const pongWaiters: (() => void)[] = [];

const post = (to: NodeId, wire: Wire) => data.ports[to]!.postMessage(wire);

const transport: Transport = {
  send(to: NodeId, message: Message) {
    const bytes = encodeMessage(message);
    post(to, { kind: "raft", due: wallNow() + data.delayMs, bytes });
  },
  onMessage(handler: (message: Message) => void) {
    handlers.push(handler);
    return () => handlers.splice(handlers.indexOf(handler), 1);
  },
  async close() {},
};

function arrive(wire: Wire): void {
  line.pushDue(wire.due - performance.timeOrigin, () => {
    switch (wire.kind) {
      case "raft": {
        const message = decodeMessage(wire.bytes);
        for (const handler of handlers) handler(message);
        return;
      }
      case "ping":
        post(wire.from, { kind: "pong", due: wallNow() + data.delayMs, from: data.id });
        return;
      case "pong":
        pongWaiters.shift()?.();
        return;
      default: {
        const never: never = wire;
        throw new TypeError(`unknown wire message ${JSON.stringify(never)}`);
      }
    }
  });
}

for (const peer of Object.values(data.ports)) peer.on("message", arrive);

const node = createNode<number>({
  id: data.id,
  voters: data.ids,
  tickMs: 10,
  electionTimeoutTicks: data.electionTimeoutTicks,
  ...(data.messageBytes === undefined ? {} : { entriesBytesPerMessageMax: data.messageBytes }),
  transport,
  storage: benchStorage(data.offHeapLog, data.writeMs, realClock),
  stateMachine: bufferedStateMachine(new Counter()),
});

async function roundTrips(peer: NodeId, samples: number): Promise<number[]> {
  const taken: number[] = [];
  for (let k = 0; k < samples; k++) {
    const start = performance.now();
    await new Promise<void>((resolve) => {
      pongWaiters.push(resolve);
      post(peer, { kind: "ping", due: wallNow() + data.delayMs, from: data.id });
    });
    taken.push(performance.now() - start);
  }
  return taken;
}

async function answer(request: NodeWorkerRequest): Promise<NodeWorkerReply> {
  switch (request.type) {
    case "start":
      await node.start();
      return { type: "start" };
    case "campaign":
      node.campaign();
      return { type: "campaign" };
    case "status": {
      const { role, term } = node.status();
      return { type: "status", role, term };
    }
    case "rtt":
      return { type: "rtt", samplesMs: await roundTrips(request.peer, request.samples) };
    case "phase": {
      const target = {
        leader: () => (node.status().role === "leader" ? node : undefined),
        term: () => node.status().term,
      };
      const lanes = { delayMs: data.delayMs, thinkMs: request.thinkMs, draw: mulberry32(7) };
      const run = <T>(done: Promise<T>) => done;
      const result = await phase(target, request.inflight, lanes, request.seconds, realClock, run);
      return { type: "phase", result };
    }
    case "lineStats":
      return {
        type: "lineStats",
        lateMs: line.takeLateness(),
        spinMs: line.takeSpinMs(),
        oversleptMs: line.takeOversleep(),
        gc: gc.take(),
      };
    case "stop":
      await node.stop();
      gc.stop();
      for (const peer of Object.values(data.ports)) peer.close();
      return { type: "stop" };
    default: {
      const never: never = request;
      throw new TypeError(`unknown request ${JSON.stringify(never)}`);
    }
  }
}

port.on("message", (request: NodeWorkerRequest) => {
  answer(request).then(
    (reply) => port.postMessage(reply),
    (error: unknown) => {
      throw error;
    },
  );
});
