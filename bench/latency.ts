// `pnpm bench latency [--seconds S] [--delay-ms D]`: commit latency through the node driver over a
// network that delays every message by D ms one way (5 by default) and does nothing else: three
// createNode()s with MemoryStorage in one process, messages through the wire codec and a delay
// line (delay-line.ts: one FIFO and one timer for every link, each message delivered at its due
// time, its lateness recorded), no sockets, no disk. Closed-loop lanes keep 1, 8 and 64 proposals
// in flight at the leader (`--inflight`); each phase reports ops/s and p50/p99 commit latency
// beside the round trip (2 D nominal, and as measured through the same delay line), the share of
// "W commits per round trip" reached (ops/s × RTT / W), and how late the delay line delivered.
// `--write-ms` makes each storage write take that long (an fsync's stand-in), to see on virtual
// time how writes and round trips overlap. Targets (issue 10), at 64 in flight: p99 ≤ 1.3 × RTT
// and ≥ 90% of 64 commits per RTT.
import { parseArgs } from "node:util";
import {
  bufferedStateMachine,
  createNode,
  type FlotillaNode,
  MemoryStorage,
  nodeId,
  type PersistBatch,
} from "@flotilla/core";
import { Counter } from "./counter.js";
import {
  type Clock,
  DelayLine,
  delayedTransports,
  lossModel,
  measuredRttMs,
  mulberry32,
  percentile,
  type Waiting,
} from "./delay-line.js";
import { VirtualClock } from "./virtual-clock.js";

/** The host's timers and clock, for the real-time runs. */
const realClock: Clock = {
  setTimeout: (callback: () => void, delayMs: number): unknown => setTimeout(callback, delayMs),
  clearTimeout: (handle: unknown) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  queueMicrotask: (callback: () => void) => queueMicrotask(callback),
  now: () => performance.now(),
};

/**
 * MemoryStorage whose writes take `writeMs` on the clock, a stand-in for an fsync (`--write-ms`).
 * Like FileStorage, a batch that only moves the hard state (in steady state, the commit index)
 * writes nothing and takes no time.
 */
class TimedStorage extends MemoryStorage {
  constructor(
    readonly writeMs: number,
    readonly clock: Clock,
  ) {
    super();
  }

  override async persist(batch: PersistBatch): Promise<void> {
    const touchesLog =
      batch.entries.length > 0 || batch.snapshot !== undefined || batch.truncateFrom !== undefined;
    if (this.writeMs > 0 && touchesLog) {
      await new Promise((resolve) => this.clock.setTimeout(() => resolve(undefined), this.writeMs));
    }
    return super.persist(batch);
  }
}

type Phase = Awaited<ReturnType<typeof phase>>;

/** How the lanes pace themselves: start spread over a round trip, then think between proposals. */
type Lanes = {
  readonly delayMs: number;
  /** Most a lane waits between an answer and its next proposal (a seeded draw in [0, thinkMs)). */
  readonly thinkMs: number;
  readonly draw: () => number;
};

async function phase(
  nodes: readonly FlotillaNode<number>[],
  inflight: number,
  { delayMs, thinkMs, draw }: Lanes,
  seconds: number,
  clock: Clock,
  line: DelayLine,
  run: <T>(done: Promise<T>) => Promise<T>,
) {
  const command = new Uint8Array(64);
  const latencies: number[] = [];
  const perSecond = new Array<number>(Math.ceil(seconds)).fill(0);
  let errors = 0;
  const termOf = () => Math.max(...nodes.map((n) => n.status().term));
  const termBefore = termOf();
  const warmupEnd = clock.now() + 300;
  const end = warmupEnd + seconds * 1000;
  // Lanes start spread over one round trip, as independent clients would be; started together
  // on virtual time they would move in lockstep, every turn all proposals or all acknowledgements.
  const spreadMs = (2 * delayMs) / inflight;
  const lane = async (_: unknown, k: number) => {
    await new Promise((r) => clock.setTimeout(() => r(undefined), k * spreadMs));
    while (clock.now() < end) {
      const start = clock.now();
      // The node that leads now (a lossy network may change it); none known: wait a tick.
      const leader = nodes.find((n) => n.status().role === "leader");
      try {
        if (leader === undefined) throw new Error("no leader");
        await leader.propose(command);
      } catch {
        errors += 1;
        await new Promise((r) => clock.setTimeout(() => r(undefined), 10));
        continue;
      }
      // Think time (--think-ms) keeps the lanes apart, so turns mix answers and new proposals.
      if (thinkMs > 0)
        await new Promise((r) => clock.setTimeout(() => r(undefined), thinkMs * draw()));
      if (start < warmupEnd) continue;
      latencies.push(clock.now() - start);
      const second = Math.floor((clock.now() - warmupEnd) / 1000);
      if (second < perSecond.length) perSecond[second]! += 1;
    }
  };
  line.takeLateness();
  await run(Promise.all(Array.from({ length: inflight }, lane)));
  const lateMs = line.takeLateness();
  return {
    inflight,
    opsPerSec: Math.round(latencies.length / seconds),
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
    minPerSecond: Math.min(...perSecond),
    errors,
    leaderChanges: termOf() - termBefore,
    lateP50Ms: percentile(lateMs, 0.5),
    lateP99Ms: percentile(lateMs, 0.99),
  };
}

export async function main(argv: readonly string[]): Promise<void> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      seconds: { type: "string", default: "3" },
      "delay-ms": { type: "string", default: "5" },
      virtual: { type: "boolean", default: false },
      loss: { type: "string", default: "0" },
      "datagram-bytes": { type: "string", default: "1232" },
      "election-ticks": { type: "string", default: "10" },
      "message-bytes": { type: "string" },
      seed: { type: "string", default: "1" },
      "write-ms": { type: "string", default: "0" },
      "think-ms": { type: "string", default: "0" },
      "plain-timers": { type: "boolean", default: false },
      inflight: { type: "string", default: "1,8,64" },
    },
  });
  const loss = Number(values.loss);
  const electionTimeoutTicks = Number(values["election-ticks"]);
  const seconds = Number(values.seconds);
  const delayMs = Number(values["delay-ms"]);
  const writeMs = Number(values["write-ms"]);
  const lanes: Lanes = { delayMs, thinkMs: Number(values["think-ms"]), draw: mulberry32(7) };
  const rttMs = 2 * delayMs;
  // --virtual: the nodes, the delay lines and the lanes on one virtual clock. Work takes no time,
  // so whatever exceeds the round trip is waiting built into the protocol or the driver.
  const virtual = values.virtual ? new VirtualClock() : null;
  const clock: Clock = virtual ?? realClock;
  const run = <T>(done: Promise<T>): Promise<T> => virtual?.runUntil(done) ?? done;
  // Virtual timers fire on time; real ones get a sleep for their last ms (delay-line.ts).
  const waiting: Waiting = virtual !== null || values["plain-timers"] ? "timer" : "sleep";
  const measuredMs = await run(measuredRttMs(delayMs, clock, waiting));
  const ids = [nodeId("n1"), nodeId("n2"), nodeId("n3")];
  const lost = lossModel(loss, Number(values["datagram-bytes"]), Number(values.seed));
  const line = new DelayLine(delayMs, clock, waiting);
  const transports = delayedTransports(ids, line, lost);
  const nodes = ids.map((id) =>
    createNode<number>({
      id,
      voters: ids,
      tickMs: 10,
      electionTimeoutTicks,
      ...(values["message-bytes"] === undefined
        ? {}
        : { entriesBytesPerMessageMax: Number(values["message-bytes"]) }),
      transport: transports.get(id)!,
      storage: new TimedStorage(writeMs, clock),
      stateMachine: bufferedStateMachine(new Counter()),
      ...(virtual === null ? {} : { scheduler: virtual }),
    }),
  );
  for (const node of nodes) await run(node.start());
  nodes[0]!.campaign();
  const wait = (ms: number) => new Promise((r) => clock.setTimeout(() => r(undefined), ms));
  while (nodes[0]!.status().role !== "leader") await run(wait(5));
  const term = nodes[0]!.status().term;
  const phases: Phase[] = [];
  for (const inflight of values.inflight.split(",").map(Number)) {
    phases.push(await phase(nodes, inflight, lanes, seconds, clock, line, run));
  }
  const leaderChanged = nodes[0]!.status().term !== term || nodes[0]!.status().role !== "leader";
  for (const node of nodes) await run(node.stop());

  console.log(
    `latency${virtual === null ? "" : " (virtual time)"}: 3 nodes, MemoryStorage${writeMs > 0 ? ` (${writeMs} ms per write)` : ""}, ${delayMs} ms one way (RTT ${rttMs} ms nominal, ${measuredMs.toFixed(2)} ms measured), delay line on ${waiting === "sleep" ? "a timer and a sleep" : virtual === null ? "plain timers" : "virtual timers"}, 64 B commands, ${seconds} s per phase`,
  );
  const rows = phases.map((p) => ({
    ...p,
    p50Rtt: p.p50Ms / rttMs,
    p99Rtt: p.p99Ms / rttMs,
    // Share of "W commits per round trip" reached.
    perRttShare: (p.opsPerSec * rttMs) / 1000 / p.inflight,
  }));
  for (const r of rows) {
    console.log(
      `  ${String(r.inflight).padStart(2)} in flight ${String(r.opsPerSec).padStart(7)} ops/s   p50 ${r.p50Ms.toFixed(2)} ms (${r.p50Rtt.toFixed(2)}x RTT)   p99 ${r.p99Ms.toFixed(2)} ms (${r.p99Rtt.toFixed(2)}x RTT)   ${(100 * r.perRttShare).toFixed(0)}% of ${r.inflight} per RTT   lowest second ${r.minPerSecond}   errors ${r.errors}   leader changes ${r.leaderChanges}   messages late p50 ${r.lateP50Ms.toFixed(2)} p99 ${r.lateP99Ms.toFixed(2)} ms`,
    );
  }
  if (leaderChanged) console.log("  NB: the leader changed during the run");
  const round = (x: number) => Math.round(x * 1000) / 1000;
  const json = Object.fromEntries(
    rows.map((r) => [
      `inflight${r.inflight}`,
      {
        opsPerSec: r.opsPerSec,
        p50Ms: round(r.p50Ms),
        p99Ms: round(r.p99Ms),
        p50Rtt: round(r.p50Rtt),
        p99Rtt: round(r.p99Rtt),
        perRttShare: round(r.perRttShare),
        minPerSecond: r.minPerSecond,
        errors: r.errors,
        leaderChanges: r.leaderChanges,
        lateP50Ms: round(r.lateP50Ms),
        lateP99Ms: round(r.lateP99Ms),
      },
    ]),
  );
  console.log(
    JSON.stringify({
      delayMs,
      rttMs,
      virtual: virtual !== null,
      loss,
      writeMs,
      thinkMs: lanes.thinkMs,
      electionTimeoutTicks,
      delayLine: waiting,
      measuredRttMs: round(measuredMs),
      leaderChanged,
      ...json,
    }),
  );
}
