// `pnpm bench udp`: what UDP costs on this machine, and what the transport adds.
//
//   (a) raw node:dgram ping-pong between two sockets on loopback: the round-trip floor
//       (`rawRttUs`, p50 over --rounds round trips after a warm-up);
//       and the transport's own one-way throughput between two transports in one process, for
//       small messages and for fragmented ones (authenticated, optionally encrypted);
//   (b) a 3-node cluster over the UDP transport in separate processes, committed proposals/s at 1
//       and 64 in flight with p50/p99 commit latency (`inflight1`, `inflight64`).
//
// (b) lives in udp-cluster.ts (parent) and udp-cluster-worker.ts (one node per process); its
// latency is measured in the leader process, from propose() to the promise resolving.
// `--cpu-prof DIR` writes a V8 CPU profile of every cluster process there. Each cluster row also
// gives the CPU time (user + system) each process spent per committed proposal, which is what
// bounds both numbers on a machine with fewer cores than processes.
// `--trace DIR` records the 1-in-flight phase in every cluster process and prints the median
// time of each step of a commit from propose() (udp-trace.ts). `--storage-dir DIR` gives each
// cluster node a FileStorage (fdatasync per write) under DIR instead of MemoryStorage.
// `--busy-poll-us N` turns on the transports' busy polling (busy-poll.ts) in the cluster
// processes: after traffic each keeps polling its socket N µs instead of sleeping.
// `--max-datagram-bytes N` sets the cluster transports' datagram size (default: the transport's,
// about 1,200 bytes, which splits a 64-in-flight AppendEntries into ~3 datagrams; on loopback a
// larger one is a legitimate setting, but the default is what the targets are measured with).
import { createSocket } from "node:dgram";
import { parseArgs } from "node:util";
import { type AppendEntries, index, nodeId, term } from "@flotilla/core";
import { createUdpTransport, type UdpTransport } from "@flotilla/transport-udp";
import { freePorts, timePingPong } from "./loopback-udp.js";
import { clusterBench, crossProcessRtt } from "./udp-cluster.js";
import { summarizeTrace } from "./udp-trace.js";

const host = "127.0.0.1";

type RawResult = { readonly rounds: number; readonly p50Us: number; readonly p99Us: number };

/** Sequential ping-pong (timePingPong): A sends 16 bytes, B echoes, A times the round trip. */
async function rawPingPong(rounds: number, warmup: number): Promise<RawResult> {
  const a = createSocket("udp4");
  const b = createSocket("udp4");
  await Promise.all([a, b].map((s) => new Promise<void>((r) => s.bind(0, host, () => r()))));
  const aPort = a.address().port;
  const bPort = b.address().port;
  b.on("message", (datagram) => b.send(datagram, aPort, host));
  const samples = await timePingPong(a, host, bPort, rounds, warmup);
  await Promise.all([a, b].map((s) => new Promise<void>((r) => s.close(() => r()))));
  samples.sort();
  return { rounds, p50Us: percentile(samples, 0.5), p99Us: percentile(samples, 0.99) };
}

type ThroughputResult = {
  readonly messagesPerSec: number;
  readonly megabytesPerSec: number;
  readonly sent: number;
  readonly received: number;
  readonly datagramsPerMessage: number;
};

/**
 * One-way: transport a sends `count` copies of `message` to b in one process, keeping at most
 * `window` unreceived (so we measure the transport, not the kernel dropping an unbounded burst).
 * A message lost on the way is given up on after 200 ms without progress.
 */
async function transportThroughput(
  message: AppendEntries,
  count: number,
  window: number,
  encrypt: boolean,
): Promise<ThroughputResult> {
  const [a, b] = await pair(encrypt);
  try {
    let received = 0;
    let receivedBytes = 0;
    const bytesPerMessage = message.entries.reduce(
      (sum, e) => sum + (e.kind === "command" ? e.data.length : 0),
      0,
    );
    b.onMessage(() => {
      received += 1;
      receivedBytes += bytesPerMessage;
    });
    const to = nodeId("b");
    const started = performance.now();
    let sent = 0;
    let lastProgressMs = started;
    let lastReceived = 0;
    while (received < sent || sent < count) {
      while (sent < count && sent - received < window) {
        a.send(to, message);
        sent += 1;
      }
      await new Promise((resolve) => setImmediate(resolve));
      const nowMs = performance.now();
      if (received !== lastReceived) {
        lastReceived = received;
        lastProgressMs = nowMs;
      } else if (nowMs - lastProgressMs > 200) {
        sent -= Math.min(sent - received, window); // give up on what was lost
        if (sent >= count) break;
        lastProgressMs = nowMs;
      }
    }
    const seconds = (performance.now() - started) / 1000;
    const stats = a.stats();
    return {
      messagesPerSec: received / seconds,
      megabytesPerSec: receivedBytes / seconds / 1e6,
      sent: stats.sent.messages,
      received,
      datagramsPerMessage: stats.sent.datagrams / stats.sent.messages,
    };
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
}

async function pair(encrypt: boolean): Promise<[UdpTransport, UdpTransport]> {
  const ports = await freePorts(2, host);
  const peers = { a: `${host}:${ports[0]}`, b: `${host}:${ports[1]}` };
  const common = { peers, key: "benchmark cluster key, not a secret", encrypt };
  // Larger socket buffers absorb the bursts a window of fragmented messages makes.
  const buffers = { socketBufferBytes: 8 * 1024 * 1024 };
  return Promise.all(
    (["a", "b"] as const).map((id, i) =>
      createUdpTransport({ id, listen: { host, port: ports[i]! }, ...common, ...buffers }),
    ),
  ) as Promise<[UdpTransport, UdpTransport]>;
}

function appendEntries(entryCount: number, entryBytes: number): AppendEntries {
  const entries = Array.from({ length: entryCount }, (_, i) => ({
    kind: "command" as const,
    index: index(1001 + i),
    term: term(7),
    data: Uint8Array.from({ length: entryBytes }, (_, j) => (i * 31 + j) & 0xff),
  }));
  return {
    type: "appendEntries",
    from: nodeId("a"),
    to: nodeId("b"),
    term: term(7),
    prevLogIndex: index(1000),
    prevLogTerm: term(7),
    leaderCommit: index(990),
    seq: 1,
    entries,
  };
}

function percentile(sorted: Float64Array, q: number): number {
  const at = Math.min(sorted.length - 1, Math.floor(q * sorted.length));
  return Math.round(sorted[at]! * 10) / 10;
}

export async function main(argv: readonly string[]): Promise<void> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      rounds: { type: "string", default: "20000" },
      warmup: { type: "string", default: "2000" },
      messages: { type: "string", default: "100000" },
      fragmented: { type: "string", default: "5000" },
      "cluster-ms": { type: "string", default: "3000" },
      "cluster-warmup-ms": { type: "string", default: "1000" },
      "payload-bytes": { type: "string", default: "64" },
      "tick-ms": { type: "string", default: "10" },
      "max-datagram-bytes": { type: "string" },
      "busy-poll-us": { type: "string", default: "0" },
      "cpu-prof": { type: "string" },
      trace: { type: "string" },
      "storage-dir": { type: "string" },
    },
  });
  const raw = await rawPingPong(Number(values.rounds), Number(values.warmup));
  console.log(
    `raw dgram ping-pong, ${raw.rounds} round trips: p50 ${raw.p50Us} µs, p99 ${raw.p99Us} µs`,
  );

  const runs = [
    ["small (1 × 64 B entry)", appendEntries(1, 64), Number(values.messages), 256, false],
    ["small, encrypted", appendEntries(1, 64), Number(values.messages), 256, true],
    ["fragmented (1 × 16 KiB)", appendEntries(1, 16 * 1024), Number(values.fragmented), 32, false],
    ["fragmented, encrypted", appendEntries(1, 16 * 1024), Number(values.fragmented), 32, true],
  ] as const;
  const transport: Record<string, ThroughputResult> = {};
  const keys = ["small", "smallEncrypted", "fragmented", "fragmentedEncrypted"];
  for (const [i, [label, message, count, window, encrypt]] of runs.entries()) {
    const result = await transportThroughput(message, count, window, encrypt);
    transport[keys[i]!] = result;
    console.log(
      `transport one-way ${label}: ${Math.round(result.messagesPerSec)} msg/s, ` +
        `${result.megabytesPerSec.toFixed(1)} MB/s payload, ${result.received}/${result.sent} ` +
        `received, ${result.datagramsPerMessage.toFixed(1)} datagrams/msg`,
    );
  }
  const crossRaw = await crossProcessRtt(Number(values.rounds), Number(values.warmup));
  console.log(
    `raw dgram ping-pong between two processes: p50 ${crossRaw.p50Us} µs, p99 ${crossRaw.p99Us} µs`,
  );
  const cluster = await clusterBench({
    durationMs: Number(values["cluster-ms"]),
    warmupMs: Number(values["cluster-warmup-ms"]),
    payloadBytes: Number(values["payload-bytes"]),
    tickMs: Number(values["tick-ms"]),
    maxDatagramBytes:
      values["max-datagram-bytes"] === undefined ? undefined : Number(values["max-datagram-bytes"]),
    traceDir: values.trace,
    storageDir: values["storage-dir"],
    busyPollUs: Number(values["busy-poll-us"]),
    workerExecArgv:
      values["cpu-prof"] === undefined
        ? []
        : ["--cpu-prof", `--cpu-prof-dir=${values["cpu-prof"]}`],
  });
  const clusterRow = (r: typeof cluster.inflight1) => ({
    opsPerSec: Math.round(r.committed / r.seconds),
    p50Us: r.p50Us,
    p99Us: r.p99Us,
    cpuUsPerCommit: r.cpuPerCommit,
  });
  const inflight1 = clusterRow(cluster.inflight1);
  const inflight64 = clusterRow(cluster.inflight64);
  for (const [label, row, r] of [
    ["1 in flight", inflight1, cluster.inflight1],
    ["64 in flight", inflight64, cluster.inflight64],
  ] as const) {
    console.log(
      `3-node cluster over UDP, ${values["payload-bytes"]} B proposals, ${label}: ${row.opsPerSec} committed/s, ` +
        `propose→resolve in the leader p50 ${row.p50Us} µs, p99 ${row.p99Us} µs (${r.committed} measured, ${r.failed} failed); ` +
        `leader per commit: ${r.sentMessagesPerCommit} messages / ${r.sentDatagramsPerCommit} datagrams sent, ${r.receivedMessagesPerCommit} received; ` +
        `CPU per commit: leader ${r.cpuPerCommit.leaderUs} µs, followers ${r.cpuPerCommit.followersUs.join(" / ")} µs`,
    );
  }
  if (cluster.traceFiles.length > 0) console.log(summarizeTrace(cluster.traceFiles));
  console.log(
    `targets: 64 in flight >= 50000/s: ${inflight64.opsPerSec >= 50_000 ? "met" : "MISSED"}; ` +
      `1 in flight p50 <= 4 × raw RTT (${4 * raw.p50Us} µs): ${inflight1.p50Us <= 4 * raw.p50Us ? "met" : "MISSED"} ` +
      `(${(inflight1.p50Us / crossRaw.p50Us).toFixed(1)} × the cross-process raw RTT)`,
  );
  const round = (r: ThroughputResult) => ({
    messagesPerSec: Math.round(r.messagesPerSec),
    megabytesPerSec: Math.round(r.megabytesPerSec * 10) / 10,
    lost: r.sent - r.received,
  });
  console.log(
    JSON.stringify({
      rawRttUs: raw.p50Us,
      rawRttP99Us: raw.p99Us,
      rawRttCrossProcessUs: crossRaw.p50Us,
      transport: Object.fromEntries(Object.entries(transport).map(([k, r]) => [k, round(r)])),
      inflight1,
      inflight64,
    }),
  );
}
