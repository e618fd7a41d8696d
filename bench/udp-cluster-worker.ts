// One node of `pnpm bench udp` part (b), run as a child process (fork, with an IPC channel): a
// Flotilla node over the UDP transport with MemoryStorage (FileStorage with --storage-dir) and an
// in-memory state machine. The
// parent asks for its status, and asks the leader to run a closed-loop load; latency is measured
// here, in the leader process, from propose() to the promise resolving (the entry is committed
// and applied on the leader).
import { parseArgs } from "node:util";
import {
  type BufferedStateMachine,
  bufferedStateMachine,
  createNode,
  MemoryStorage,
  nodeId,
  type Storage,
} from "@flotilla/core";
import { createUdpTransport } from "@flotilla/transport-udp";
import { TraceRecorder } from "./udp-trace.js";

export type WorkerRequest =
  | { readonly type: "status" }
  | { readonly type: "cpu" }
  | {
      readonly type: "load";
      readonly inflight: number;
      readonly durationMs: number;
      readonly warmupMs: number;
    }
  | { readonly type: "stop" };

export type LoadResult = {
  readonly committed: number;
  readonly seconds: number;
  readonly p50Us: number;
  readonly p99Us: number;
  readonly failed: number;
  /** The leader's transport during the measured window, per committed proposal. */
  readonly sentMessagesPerCommit: number;
  readonly sentDatagramsPerCommit: number;
  readonly receivedMessagesPerCommit: number;
};

export type WorkerReply =
  | { readonly type: "ready"; readonly id: string }
  | {
      readonly type: "status";
      readonly id: string;
      readonly role: string;
      readonly leader: string | null;
    }
  | { readonly type: "load"; readonly result: LoadResult }
  /** This process's CPU time so far (process.cpuUsage), µs. */
  | {
      readonly type: "cpu";
      readonly id: string;
      readonly userUs: number;
      readonly systemUs: number;
    }
  | { readonly type: "error"; readonly message: string };

/** Counts applied bytes: enough work to be a state machine, cheap enough not to be the bottleneck. */
class CountingStateMachine implements BufferedStateMachine<number> {
  bytes = 0;
  apply(command: Uint8Array): number {
    this.bytes += command.length;
    return this.bytes;
  }
  snapshot(): Uint8Array {
    return new TextEncoder().encode(String(this.bytes));
  }
  restore(data: Uint8Array): void {
    this.bytes = Number(new TextDecoder().decode(data));
  }
}

const { values } = parseArgs({
  options: {
    id: { type: "string" },
    peers: { type: "string" },
    key: { type: "string" },
    "tick-ms": { type: "string", default: "10" },
    "payload-bytes": { type: "string", default: "64" },
    "max-datagram-bytes": { type: "string" },
    "busy-poll-us": { type: "string", default: "0" },
    /** Record the 1-in-flight phase (see udp-trace.ts) and write it here on stop. */
    trace: { type: "string" },
    /** FileStorage in this directory (fsync per write) instead of MemoryStorage. */
    "storage-dir": { type: "string" },
  },
});
const id = values.id as string;
const peers = JSON.parse(values.peers as string) as Record<string, string>;
const [host, port] = (peers[id] as string).split(":") as [string, string];
const transport = await createUdpTransport({
  id,
  listen: { host, port: Number(port) },
  peers,
  key: values.key as string,
  socketBufferBytes: 8 * 1024 * 1024,
  busyPollUs: Number(values["busy-poll-us"]),
  ...(values["max-datagram-bytes"] === undefined
    ? {}
    : { maxDatagramBytes: Number(values["max-datagram-bytes"]) }),
});
const tickMs = Number(values["tick-ms"]);
const tracer = values.trace === undefined ? null : new TraceRecorder(id);
const storageDir = values["storage-dir"];
// Imported only when asked for: loading the package's sources costs the worker's start seconds on
// a loaded machine, and the parent waits for "ready" 15 s at most.
const storage: Storage =
  storageDir === undefined
    ? new MemoryStorage()
    : await (await import("@flotilla/storage-file")).FileStorage.open(storageDir);
const node = createNode<number>({
  id: nodeId(id),
  voters: Object.keys(peers).map(nodeId),
  transport: tracer === null ? transport : tracer.transport(transport),
  storage: tracer === null ? storage : tracer.storage(storage),
  stateMachine: bufferedStateMachine(new CountingStateMachine()),
  tickMs,
  seed: Number(port),
});
await node.start();
const payload = new Uint8Array(Number(values["payload-bytes"])).fill(7);

function reply(message: WorkerReply): void {
  process.send?.(message);
}

/** Keeps `inflight` proposals outstanding; records each one's latency once warm-up is over. */
async function load(inflight: number, durationMs: number, warmupMs: number): Promise<LoadResult> {
  const latenciesNs: number[] = [];
  const started = performance.now();
  const measureFrom = started + warmupMs;
  const end = measureFrom + durationMs;
  let committed = 0;
  let failed = 0;
  let statsFrom = transport.stats();
  const statsTimer = setTimeout(() => {
    statsFrom = transport.stats();
  }, warmupMs);
  const tracing = tracer !== null && inflight === 1;
  const lane = async (): Promise<void> => {
    while (performance.now() < end) {
      // At 1 in flight the proposal takes the next index (a leader's noop could take it first,
      // rarely; the trace then leaves this proposal out).
      const traced = tracing ? node.status().lastLogIndex + 1 : 0;
      if (tracing) tracer?.record("propose", traced, TraceRecorder.nowUs());
      const t0 = process.hrtime.bigint();
      const at = performance.now();
      try {
        await node.propose(payload, { timeoutMs: 5000 });
      } catch {
        failed += 1;
        // A node that is not (or no longer) the leader refuses a proposal without any I/O in
        // between: the rejection settles in microtasks. Retrying at once would never give the
        // event loop back, starving this node's own ticks and socket, so it could never learn
        // the new leader (the "67/s, then 0/s" run in docs/benchmarks.md). Wait one tick.
        await new Promise((resolve) => setTimeout(resolve, tickMs));
        continue;
      }
      if (tracing) tracer?.record("resolve", traced, TraceRecorder.nowUs());
      if (at >= measureFrom) {
        latenciesNs.push(Number(process.hrtime.bigint() - t0));
        committed += 1;
      }
    }
  };
  await Promise.all(Array.from({ length: inflight }, lane));
  clearTimeout(statsTimer);
  const statsTo = transport.stats();
  const perCommit = (n: number) => Math.round((n / Math.max(1, committed)) * 100) / 100;
  latenciesNs.sort((a, b) => a - b);
  const pick = (q: number) =>
    (latenciesNs[Math.min(latenciesNs.length - 1, Math.floor(q * latenciesNs.length))] ?? 0) / 1000;
  return {
    committed,
    seconds: (Math.min(performance.now(), end) - measureFrom) / 1000,
    p50Us: Math.round(pick(0.5) * 10) / 10,
    p99Us: Math.round(pick(0.99) * 10) / 10,
    failed,
    sentMessagesPerCommit: perCommit(statsTo.sent.messages - statsFrom.sent.messages),
    sentDatagramsPerCommit: perCommit(statsTo.sent.datagrams - statsFrom.sent.datagrams),
    receivedMessagesPerCommit: perCommit(statsTo.received.messages - statsFrom.received.messages),
  };
}

process.on("message", (raw) => {
  const request = raw as WorkerRequest;
  switch (request.type) {
    case "status": {
      const s = node.status();
      reply({ type: "status", id, role: s.role, leader: s.leader });
      return;
    }
    case "cpu": {
      const used = process.cpuUsage();
      reply({ type: "cpu", id, userUs: used.user, systemUs: used.system });
      return;
    }
    case "load":
      load(request.inflight, request.durationMs, request.warmupMs).then(
        (result) => reply({ type: "load", result }),
        (error: unknown) => reply({ type: "error", message: String(error) }),
      );
      return;
    case "stop":
      if (tracer !== null && values.trace !== undefined) tracer.write(values.trace);
      void node
        .stop()
        .then(() => transport.close())
        .finally(() => process.exit(0));
      return;
    default: {
      const never: never = request;
      reply({ type: "error", message: `unknown request ${JSON.stringify(never)}` });
    }
  }
});
reply({ type: "ready", id });
