// `pnpm bench core`: the reducer alone. A 3-node cluster of cores in one process, messages
// delivered instantly in FIFO order and storage "instant" (each persist effect is durable at
// once: its `then` is sent and the `persisted` event fed straight back). Measures pipelined
// throughput, sequential proposal rate, heap per log entry, and how a leader's
// propose-and-replicate step scales with the log's length (stepCostRatio, target <= 1.5).
import { parseArgs } from "node:util";
import {
  type Entry,
  type Index,
  init,
  type Message,
  type NodeId,
  nodeId,
  type RaftState,
  status,
  step,
  type Term,
} from "@flotilla/core";
import { forceGc } from "./gc.js";

const ids: NodeId[] = [nodeId("n1"), nodeId("n2"), nodeId("n3")];
const payload = new Uint8Array(64).fill(7);

class BenchCluster {
  readonly states = new Map<NodeId, RaftState>();
  private queue: Message[] = [];
  private head = 0;
  /** Messages delivered so far. */
  delivered = 0;

  constructor(entries: readonly Entry[] = []) {
    const lastTerm = (entries.at(-1)?.term ?? 0) as Term;
    for (const id of ids) {
      this.states.set(
        id,
        init(
          { id, voters: ids, uncommittedBytesMax: 1 << 30 },
          {
            hardState: { term: lastTerm, vote: null, commit: 0 as Index },
            snapshot: null,
            entries,
          },
        ),
      );
    }
    this.feed(ids[0]!, { type: "campaign" });
    this.deliverAll();
  }

  get leader(): RaftState {
    return this.states.get(ids[0]!)!;
  }

  /** Steps one node and routes its outputs (messages, instant persistence). */
  feed(id: NodeId, event: Parameters<typeof step>[1]): void {
    this.route(id, step(this.states.get(id)!, event));
  }

  /** Routes the outputs of a step the caller ran itself (to time it). */
  route(id: NodeId, result: ReturnType<typeof step>): void {
    this.states.set(id, result.state);
    for (const m of result.messages) this.queue.push(m);
    for (const effect of result.effects) {
      if (effect.type !== "persist") continue;
      for (const m of effect.then) this.queue.push(m);
      const last = effect.entries.at(-1);
      if (last !== undefined)
        this.feed(id, { type: "persisted", index: last.index, term: last.term });
    }
  }

  deliverAll(): void {
    while (this.head < this.queue.length) {
      const m = this.queue[this.head++]!;
      this.delivered += 1;
      this.feed(m.to, { type: "receive", message: m });
      if (this.head > 4096) {
        this.queue = this.queue.slice(this.head);
        this.head = 0;
      }
    }
  }

  commit(): number {
    return status(this.leader).commit;
  }
}

/** A run's rate per wall second and per CPU second of this process (a shared machine distorts
 * the second less), and the messages it took per committed entry. */
type Rate = { readonly perSec: number; readonly perCpuSec: number; readonly messagesPer: number };

function timed(count: number, run: () => BenchCluster): Rate {
  const start = performance.now();
  const cpu = process.cpuUsage();
  const c = run();
  const used = process.cpuUsage(cpu);
  const seconds = (performance.now() - start) / 1000;
  return {
    perSec: count / seconds,
    perCpuSec: count / ((used.user + used.system) / 1e6),
    messagesPer: c.delivered / count,
  };
}

function pipelined(total: number, inFlight: number): Rate {
  return timed(total, () => pipelinedRun(total, inFlight));
}

function pipelinedRun(total: number, inFlight: number): BenchCluster {
  const c = new BenchCluster();
  let proposed = 0;
  // A turn's run of proposals is one step, as the driver steps it (runtime.ts).
  const proposals = Array.from({ length: inFlight }, () => ({ id: "p", data: payload }));
  while (proposed < total) {
    c.feed(ids[0]!, { type: "proposeBatch", proposals });
    c.feed(ids[0]!, { type: "flush" }); // as the driver ends a turn
    proposed += inFlight;
    c.deliverAll();
  }
  if (c.commit() < proposed) throw new Error(`only ${c.commit()} of ${proposed} committed`);
  return c;
}

function sequential(total: number): Rate {
  return timed(total, () => sequentialRun(total));
}

function sequentialRun(total: number): BenchCluster {
  const c = new BenchCluster();
  for (let i = 0; i < total; i++) {
    const target = c.commit() + 1;
    c.feed(ids[0]!, { type: "propose", id: "p", data: payload });
    c.feed(ids[0]!, { type: "flush" });
    c.deliverAll();
    if (c.commit() < target) throw new Error("a sequential proposal did not commit");
  }
  return c;
}

/**
 * Memory per entry of a leader's log of 64-byte entries (each with its own buffer): the growth
 * from `count` to 2 × `count` entries, both states kept alive (they share the log's backing
 * array), so garbage left by earlier work does not blur the difference.
 */
function heapBytesPerEntry(count: number): number {
  let s = init({ id: ids[0]!, voters: [ids[0]!] });
  s = step(s, { type: "campaign" }).state;
  const grow = (from: RaftState): RaftState => {
    let next = from;
    for (let i = 0; i < count; i++) {
      next = step(next, { type: "propose", id: "p", data: new Uint8Array(64) }).state;
    }
    return next;
  };
  const half = grow(s);
  forceGc();
  const before = memoryBytes();
  const full = grow(half);
  forceGc();
  const after = memoryBytes();
  if (status(full).lastLogIndex < 2 * count || status(half).lastLogIndex < count) {
    throw new Error("log too short");
  }
  return (after - before) / count;
}

/** The V8 heap plus memory outside it (typed array backing stores: entry data, byte counters). */
function memoryBytes(): number {
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.external;
}

function logOf(length: number): Entry[] {
  return Array.from({ length }, (_, i) => ({
    kind: "command" as const,
    index: (i + 1) as Index,
    term: 1 as Term,
    data: payload,
  }));
}

/**
 * The leader's propose-and-replicate step on each cluster, interleaved sample by sample so both
 * see the same machine state. A sample is the total of `batch` consecutive steps (each followed,
 * untimed, by delivering everything so the leader stays in steady state); returns medians in ms.
 */
function stepCost(
  small: BenchCluster,
  large: BenchCluster,
  samples: number,
  batch = 20,
): [number, number] {
  const times: [number[], number[]] = [[], []];
  const clusters = [small, large] as const;
  for (let i = 0; i < samples; i++) {
    for (const k of [0, 1] as const) {
      const c = clusters[k];
      let total = 0;
      for (let j = 0; j < batch; j++) {
        const before = c.leader;
        const t0 = performance.now();
        const result = step(before, { type: "propose", id: "p", data: payload });
        total += performance.now() - t0;
        if (result.messages.length !== 2) throw new Error("expected one append per follower");
        c.route(ids[0]!, result);
        c.deliverAll();
      }
      times[k].push(total / batch);
    }
  }
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  return [median(times[0]), median(times[1])];
}

export async function main(argv: readonly string[]): Promise<void> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      entries: { type: "string", default: "1000000" },
      sequential: { type: "string", default: "100000" },
      inflight: { type: "string", default: "1000" },
      "large-log": { type: "string", default: "1000000" },
    },
  });
  const total = Number(values.entries);
  const inFlight = Number(values.inflight);
  pipelined(Math.min(total, 50_000), inFlight); // warm-up
  sequential(Math.min(Number(values.sequential), 5_000));
  const pipelinedRate = pipelined(total, inFlight);
  const sequentialRate = sequential(Number(values.sequential));
  const perEntry = heapBytesPerEntry(200_000);
  const small = new BenchCluster(logOf(10));
  const large = new BenchCluster(logOf(Number(values["large-log"])));
  stepCost(small, large, 200); // warm-up
  const [smallMs, largeMs] = stepCost(small, large, 1_000);
  const result = {
    entriesPerSec: Math.round(pipelinedRate.perSec),
    entriesPerCpuSec: Math.round(pipelinedRate.perCpuSec),
    messagesPerEntry: Number(pipelinedRate.messagesPer.toFixed(3)),
    sequentialProposalsPerSec: Math.round(sequentialRate.perSec),
    sequentialProposalsPerCpuSec: Math.round(sequentialRate.perCpuSec),
    heapBytesPerEntry: Math.round(perEntry),
    stepCostRatio: Number((largeMs / smallMs).toFixed(3)),
    stepMicrosSmallLog: Number((smallMs * 1000).toFixed(2)),
    stepMicrosLargeLog: Number((largeMs * 1000).toFixed(2)),
    inFlight,
    entryBytes: payload.byteLength,
  };
  console.log("core reducer, 3 nodes in one process, instant delivery and storage");
  console.table({
    "pipelined entries/s": result.entriesPerSec,
    "pipelined entries per CPU second": result.entriesPerCpuSec,
    "pipelined messages per entry": result.messagesPerEntry,
    "sequential proposals/s": result.sequentialProposalsPerSec,
    "sequential proposals per CPU second": result.sequentialProposalsPerCpuSec,
    "heap bytes/entry": result.heapBytesPerEntry,
    [`propose step, ${values["large-log"]}-entry log (µs)`]: result.stepMicrosLargeLog,
    "propose step, 10-entry log (µs)": result.stepMicrosSmallLog,
    stepCostRatio: result.stepCostRatio,
  });
  console.log(JSON.stringify(result));
}
