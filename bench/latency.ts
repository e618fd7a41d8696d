// `pnpm bench latency [--seconds S] [--delay-ms D]`: commit latency through the node driver over a
// network that delays every message by D ms one way (5 by default) and does nothing else: three
// createNode()s with MemoryStorage in one process, messages through the wire codec and a delay
// line (one timer per link, FIFO), no sockets, no disk. Closed-loop lanes keep 1, 8 and 64
// proposals in flight at the leader; each phase reports ops/s and p50/p99 commit latency beside
// the round trip (2 D nominal, and as measured through the same delay line), and the share of
// "W commits per round trip" reached (ops/s × RTT / W). Targets (issue 10), at 64 in flight:
// p99 ≤ 1.3 × RTT and ≥ 90% of 64 commits per RTT.
import { parseArgs } from "node:util";
import {
  bufferedStateMachine,
  createNode,
  decodeMessage,
  encodeMessage,
  type FlotillaNode,
  MemoryStorage,
  type Message,
  type NodeId,
  nodeId,
  type Transport,
} from "@flotilla/core";
import { Counter } from "./counter.js";

/** Messages due at a time, delivered in order by one timer: a link of fixed one-way delay. */
class DelayLine {
  readonly #queue: { due: number; deliver: () => void }[] = [];
  #head = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  constructor(readonly delayMs: number) {}

  push(deliver: () => void): void {
    this.#queue.push({ due: performance.now() + this.delayMs, deliver });
    if (this.#timer === undefined) this.#arm();
  }

  #arm(): void {
    const next = this.#queue[this.#head];
    if (next === undefined) return;
    this.#timer = setTimeout(() => this.#fire(), Math.max(0, next.due - performance.now()));
  }

  #fire(): void {
    this.#timer = undefined;
    const now = performance.now();
    while (this.#head < this.#queue.length && this.#queue[this.#head]!.due <= now) {
      this.#queue[this.#head++]!.deliver();
    }
    if (this.#head > 4096) {
      this.#queue.splice(0, this.#head);
      this.#head = 0;
    }
    this.#arm();
  }
}

function delayedTransports(ids: readonly NodeId[], delayMs: number): Map<NodeId, Transport> {
  const handlers = new Map<NodeId, (message: Message) => void>();
  const lines = new Map<string, DelayLine>();
  const line = (from: NodeId, to: NodeId) => {
    const key = `${from}->${to}`;
    const found = lines.get(key) ?? new DelayLine(delayMs);
    lines.set(key, found);
    return found;
  };
  return new Map(
    ids.map((id) => [
      id,
      {
        send(to: NodeId, message: Message) {
          const bytes = encodeMessage(message);
          line(id, to).push(() => handlers.get(to)?.(decodeMessage(bytes)));
        },
        onMessage(handler: (message: Message) => void) {
          handlers.set(id, handler);
          return () => handlers.delete(id);
        },
        async close() {},
      },
    ]),
  );
}

/** The round trip of the delay lines themselves (timer granularity included), median of n. */
async function measuredRttMs(delayMs: number, n = 200): Promise<number> {
  const there = new DelayLine(delayMs);
  const back = new DelayLine(delayMs);
  const samples: number[] = [];
  for (let k = 0; k < n; k++) {
    const start = performance.now();
    await new Promise<void>((resolve) => there.push(() => back.push(resolve)));
    samples.push(performance.now() - start);
  }
  return percentile(samples, 0.5);
}

function percentile(samples: number[], p: number): number {
  const sorted = samples.slice().sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN;
}

type Phase = { inflight: number; opsPerSec: number; p50Ms: number; p99Ms: number };

async function phase(leader: FlotillaNode<number>, inflight: number, seconds: number) {
  const command = new Uint8Array(64);
  const latencies: number[] = [];
  const warmupEnd = performance.now() + 300;
  const end = warmupEnd + seconds * 1000;
  const lane = async () => {
    while (performance.now() < end) {
      const start = performance.now();
      await leader.propose(command);
      if (start >= warmupEnd) latencies.push(performance.now() - start);
    }
  };
  await Promise.all(Array.from({ length: inflight }, lane));
  return {
    inflight,
    opsPerSec: Math.round(latencies.length / seconds),
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
  };
}

export async function main(argv: readonly string[]): Promise<void> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      seconds: { type: "string", default: "3" },
      "delay-ms": { type: "string", default: "5" },
    },
  });
  const seconds = Number(values.seconds);
  const delayMs = Number(values["delay-ms"]);
  const rttMs = 2 * delayMs;
  const measuredMs = await measuredRttMs(delayMs);
  const ids = [nodeId("n1"), nodeId("n2"), nodeId("n3")];
  const transports = delayedTransports(ids, delayMs);
  const nodes = ids.map((id) =>
    createNode<number>({
      id,
      voters: ids,
      tickMs: 10,
      transport: transports.get(id)!,
      storage: new MemoryStorage(),
      stateMachine: bufferedStateMachine(new Counter()),
    }),
  );
  for (const node of nodes) await node.start();
  nodes[0]!.campaign();
  while (nodes[0]!.status().role !== "leader") await new Promise((r) => setTimeout(r, 5));
  const term = nodes[0]!.status().term;
  const phases: Phase[] = [];
  for (const inflight of [1, 8, 64]) phases.push(await phase(nodes[0]!, inflight, seconds));
  const leaderChanged = nodes[0]!.status().term !== term || nodes[0]!.status().role !== "leader";
  for (const node of nodes) await node.stop();

  console.log(
    `latency: 3 nodes, MemoryStorage, ${delayMs} ms one way (RTT ${rttMs} ms nominal, ${measuredMs.toFixed(2)} ms measured), 64 B commands, ${seconds} s per phase`,
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
      `  ${String(r.inflight).padStart(2)} in flight ${String(r.opsPerSec).padStart(7)} ops/s   p50 ${r.p50Ms.toFixed(2)} ms (${r.p50Rtt.toFixed(2)}x RTT)   p99 ${r.p99Ms.toFixed(2)} ms (${r.p99Rtt.toFixed(2)}x RTT)   ${(100 * r.perRttShare).toFixed(0)}% of ${r.inflight} per RTT`,
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
      },
    ]),
  );
  console.log(
    JSON.stringify({ delayMs, rttMs, measuredRttMs: round(measuredMs), leaderChanged, ...json }),
  );
}
