// `pnpm bench latency [--seconds S] [--delay-ms D]`: commit latency through the node driver over a
// network that delays every message by D ms one way (5 by default) and does nothing else: three
// createNode()s with MemoryStorage in one process, messages through the wire codec and a delay
// line (delay-line.ts: one FIFO and one timer for every link, each message delivered at its due
// time, its lateness recorded), no sockets, no disk. Closed-loop lanes keep 1, 8 and 64 proposals
// in flight at the leader (`--inflight`); each phase reports ops/s and p50/p99 commit latency
// beside the round trip (2 D nominal, and as measured through the same delay line), the share of
// "W commits per round trip" reached (ops/s × RTT / W), and how late the delay line delivered.
// On real time the nodes run in worker threads whose young generation `--young-mb` sets: all three
// in one event loop (latency-one-loop.ts), or one thread per node with `--workers`
// (latency-workers.ts). `--virtual` runs them on the main thread on a virtual clock.
// `--write-ms` makes each storage write take that long (an fsync's stand-in), to see on virtual
// time how writes and round trips overlap. Targets (issue 10), at 64 in flight: p99 ≤ 1.3 × RTT
// and ≥ 90% of 64 commits per RTT. Each real-time phase also says what made its slowest 1%
// (latency-tail.ts): how many waves, the GC inside them, and how late the delay line woke.
import { parseArgs } from "node:util";
import { nodeId } from "@flotilla/core";
import { runInOneLoop, type Settings } from "./latency-one-loop.js";
import { runInLoopWorker, runOnWorkers } from "./latency-workers.js";
import { VirtualClock } from "./virtual-clock.js";

export async function main(argv: readonly string[]): Promise<void> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      seconds: { type: "string", default: "3" },
      "delay-ms": { type: "string", default: "5" },
      virtual: { type: "boolean", default: false },
      workers: { type: "boolean", default: false },
      loss: { type: "string", default: "0" },
      "datagram-bytes": { type: "string", default: "1232" },
      "election-ticks": { type: "string", default: "10" },
      "message-bytes": { type: "string" },
      seed: { type: "string", default: "1" },
      "write-ms": { type: "string", default: "0" },
      "think-ms": { type: "string", default: "0" },
      "plain-timers": { type: "boolean", default: false },
      inflight: { type: "string", default: "1,8,64" },
      "young-mb": { type: "string", default: "3" },
      "off-heap-log": { type: "boolean", default: false },
    },
  });
  // --virtual: the nodes, the delay line and the lanes on one virtual clock. Work takes no time,
  // so whatever exceeds the round trip is waiting built into the protocol or the driver.
  const virtual = values.virtual ? new VirtualClock() : null;
  const settings: Settings = {
    ids: [nodeId("n1"), nodeId("n2"), nodeId("n3")],
    delayMs: Number(values["delay-ms"]),
    // Virtual timers fire on time; real ones get a sleep for their last ms (delay-line.ts).
    waiting: virtual !== null || values["plain-timers"] ? "timer" : "sleep",
    electionTimeoutTicks: Number(values["election-ticks"]),
    messageBytes:
      values["message-bytes"] === undefined ? undefined : Number(values["message-bytes"]),
    writeMs: Number(values["write-ms"]),
    offHeapLog: values["off-heap-log"],
    thinkMs: Number(values["think-ms"]),
    seconds: Number(values.seconds),
    inflights: values.inflight.split(",").map(Number),
    loss: Number(values.loss),
    datagramBytes: Number(values["datagram-bytes"]),
    seed: Number(values.seed),
    youngMb: Number(values["young-mb"]),
  };
  if (values.workers && (virtual !== null || settings.loss > 0)) {
    console.error("bench latency: --workers runs on real time without loss (no --virtual, --loss)");
    process.exit(2);
  }
  const { measuredMs, phases, leaderChanged } = values.workers
    ? await runOnWorkers(settings)
    : virtual === null
      ? await runInLoopWorker(settings)
      : await runInOneLoop(settings, virtual);
  const { delayMs, waiting, writeMs, seconds, loss, electionTimeoutTicks } = settings;
  const rttMs = 2 * delayMs;
  const setup = values.workers ? "a worker thread per node" : "one event loop";
  const young =
    virtual !== null
      ? ""
      : settings.youngMb > 0
        ? `, young generation ${settings.youngMb} MB a thread`
        : ", V8's young generation";
  console.log(
    `latency${virtual === null ? "" : " (virtual time)"}: 3 nodes in ${setup}, ${settings.offHeapLog ? "the log off the heap" : "MemoryStorage"}${writeMs > 0 ? ` (${writeMs} ms per write)` : ""}, ${delayMs} ms one way (RTT ${rttMs} ms nominal, ${measuredMs.toFixed(2)} ms measured)${young}, delay line on ${waiting === "sleep" ? "a timer and a sleep" : virtual === null ? "plain timers" : "virtual timers"}, 64 B commands, ${seconds} s per phase`,
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
      `  ${String(r.inflight).padStart(2)} in flight ${String(r.opsPerSec).padStart(7)} ops/s   p50 ${r.p50Ms.toFixed(2)} ms (${r.p50Rtt.toFixed(2)}x RTT)   p99 ${r.p99Ms.toFixed(2)} ms (${r.p99Rtt.toFixed(2)}x RTT)   ${(100 * r.perRttShare).toFixed(0)}% of ${r.inflight} per RTT   lowest second ${r.minPerSecond}   errors ${r.errors}   leader changes ${r.leaderChanges}   messages late p50 ${r.lateP50Ms.toFixed(2)} p99 ${r.lateP99Ms.toFixed(2)} ms   CPU ${r.cpuUsPerCommit.toFixed(0)} µs/commit   GC ${r.gcUsPerCommit.toFixed(0)} µs/commit (${r.gcPauses} pauses, longest ${r.gcMaxMs.toFixed(1)} ms)${virtual === null ? `   slowest 1%: ${r.tailWaves} waves, GC in them ${r.tailGcMs.toFixed(1)} ms   sleeps woken ≥ 1 ms late ${r.oversleeps1Ms} (latest ${r.oversleepMaxMs.toFixed(1)} ms)` : ""}`,
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
        cpuUsPerCommit: Math.round(r.cpuUsPerCommit),
        gcUsPerCommit: Math.round(r.gcUsPerCommit),
        gcPauses: r.gcPauses,
        gcMaxMs: round(r.gcMaxMs),
        tailWaves: r.tailWaves,
        tailGcMs: round(r.tailGcMs),
        oversleepMaxMs: round(r.oversleepMaxMs),
        oversleeps1Ms: r.oversleeps1Ms,
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
      thinkMs: settings.thinkMs,
      workers: values.workers,
      youngMb: virtual === null ? settings.youngMb : null,
      offHeapLog: settings.offHeapLog,
      electionTimeoutTicks,
      delayLine: waiting,
      measuredRttMs: round(measuredMs),
      leaderChanged,
      ...json,
    }),
  );
}
