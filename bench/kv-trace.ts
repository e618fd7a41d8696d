// `bench kv --put-only --trace DIR`: where the time of one PUT goes, across the client and the
// three server processes. The servers record their system-call edges (kv-trace-preload.ts); this
// process runs one client for a while, noting when each PUT left and its answer came back, then
// lines everything up on the shared monotonic clock: with one client every edge between a PUT's
// send and its answer belongs to that PUT (or to a heartbeat, which the matching skips). It prints
// the median offset of each step from the client's send, and what each process did per PUT.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { processCpuUs } from "./kv-reads.js";
import type { TraceEdge, TraceEdgeKind } from "./kv-trace-preload.js";

const preload = fileURLToPath(new URL("./kv-trace-preload.ts", import.meta.url));

/** Node options that load the recorder into a server (tsx first: the recorder is TypeScript). */
export function traceNodeArgs(dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  process.env.FLOTILLA_BENCH_TRACE_DIR = dir;
  return ["--import", "tsx", "--import", preload];
}

/** [send µs, answer µs] of each PUT, on the servers' clock. */
type ClientRecord = readonly [number, number];

function nowUs(): number {
  return Number(process.hrtime.bigint() / 100n) / 10;
}

/**
 * One client PUTting for `durationMs` (after `warmupMs`), each request's times noted, and the CPU
 * each server spent (`pids`, the leader's first) over the measured window.
 */
export async function tracedPuts(
  put: (key: string, value: Buffer) => Promise<void>,
  warmupMs: number,
  durationMs: number,
  dir: string,
  pids: readonly number[],
): Promise<void> {
  const value = Buffer.alloc(64, "t");
  const client: ClientRecord[] = [];
  const warmEnd = performance.now() + warmupMs;
  for (let i = 0; performance.now() < warmEnd; i++) await put(`trace-${i % 128}`, value);
  const cpuBefore = await Promise.all(pids.map(processCpuUs));
  const end = performance.now() + durationMs;
  for (let i = 0; performance.now() < end; i++) {
    const sent = nowUs();
    await put(`trace-${i % 128}`, value);
    client.push([sent, nowUs()]);
  }
  const cpuUs = (await Promise.all(pids.map(processCpuUs))).map((us, i) => us - cpuBefore[i]!);
  // The servers write their records every 200 ms.
  await new Promise((resolve) => setTimeout(resolve, 500));
  writeFileSync(join(dir, "client.json"), JSON.stringify({ pids, cpuUs, client }));
}

const steps = [
  "leader: request handed to the HTTP server",
  "leader: first AppendEntries datagram sent",
  "leader: log write starts",
  "leader: log write durable",
  "follower: AppendEntries handled (first to answer)",
  "follower: log write starts",
  "follower: log write durable",
  "follower: acknowledgement sent",
  "leader: acknowledgement handled",
  "leader: answer ended (res.end)",
  "client: answer received",
] as const;

/** The breakdown: the median offset of each step from the client's send, and counts per PUT. */
export function summarizeKvTrace(dir: string): string {
  const {
    pids: servers,
    cpuUs,
    client,
  } = JSON.parse(readFileSync(join(dir, "client.json"), "utf8")) as {
    pids: number[];
    cpuUs: number[];
    client: ClientRecord[];
  };
  const leaderPid = servers[0]!;
  const edges = readdirSync(dir)
    .filter((name) => name.endsWith(".jsonl"))
    .flatMap((name) =>
      readFileSync(join(dir, name), "utf8")
        .split("\n")
        .filter((line) => line !== "")
        .map((line) => JSON.parse(line) as TraceEdge),
    )
    .sort((a, b) => a[2] - b[2]);
  const followers = servers.slice(1);
  const windowStart = client[0]?.[0] ?? 0;
  const windowEnd = client.at(-1)?.[1] ?? 0;
  const inWindow = edges.filter((edge) => edge[2] >= windowStart && edge[2] <= windowEnd);
  // A node that calls fdatasync makes a write durable with it; one that does not, with the write.
  const syncsApart = new Set(inWindow.filter((e) => e[0] === "fileDatasync").map((e) => e[1]));
  const offsets: number[][] = steps.map(() => []);
  for (const [sent, answered] of client) {
    const times = chain(inWindow, leaderPid, followers, syncsApart, sent, answered);
    if (times === null) continue;
    for (const [i, t] of times.entries()) offsets[i]!.push(t - sent);
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1] ?? Number.NaN;
  const perPut = (pid: number, kind: TraceEdgeKind) =>
    (inWindow.filter((e) => e[1] === pid && e[0] === kind).length / client.length).toFixed(2);
  const counts = servers.map(
    (pid, i) =>
      `  ${i === 0 ? "leader  " : "follower"} per PUT: ${Math.round(cpuUs[i]! / client.length)} µs CPU, ${perPut(pid, "udpSend")} datagrams sent, ${perPut(pid, "udpHandled")} handled, ${perPut(pid, "fileWrite")} writes, ${perPut(pid, "fileDatasync")} fdatasyncs`,
  );
  return [
    `trace, 1 client: median µs from the client's send, over ${offsets[0]!.length} of ${client.length} PUTs`,
    ...steps.map((label, i) => `  ${median(offsets[i]!).toFixed(0).padStart(7)}  ${label}`),
    ...counts,
  ].join("\n");
}

/** One PUT's steps (absolute µs, in the order of `steps`), or null when a step is missing. */
function chain(
  edges: readonly TraceEdge[],
  leader: number,
  followers: readonly number[],
  syncsApart: ReadonlySet<number>,
  sent: number,
  answered: number,
): number[] | null {
  const first = (pid: number, kind: TraceEdgeKind, fromUs: number) =>
    edges.find((e) => e[1] === pid && e[0] === kind && e[2] >= fromUs && e[2] <= answered);
  const durableEnd = (pid: number, write: TraceEdge) =>
    syncsApart.has(pid) ? first(pid, "fileDatasync", write[3])?.[3] : write[3];
  const request = first(leader, "httpRequest", sent);
  if (request === undefined) return null;
  const append = first(leader, "udpSend", request[2]);
  const write = first(leader, "fileWrite", request[2]);
  const answer = first(leader, "httpEnd", request[2]);
  if (append === undefined || write === undefined || answer === undefined) return null;
  const leaderDurable = durableEnd(leader, write);
  // The follower whose acknowledgement left first.
  let best: number[] | null = null;
  for (const pid of followers) {
    const handled = first(pid, "udpHandled", append[2]);
    const own = handled && first(pid, "fileWrite", handled[2]);
    const durable = own && durableEnd(pid, own);
    const ack = durable === undefined ? undefined : first(pid, "udpSend", durable);
    if (handled === undefined || own === undefined || durable === undefined || ack === undefined) {
      continue;
    }
    if (best === null || ack[2] < best[3]!) best = [handled[2], own[2], durable, ack[2]];
  }
  const ackHandled = best === null ? undefined : first(leader, "udpHandled", best[3]!);
  if (best === null || leaderDurable === undefined || ackHandled === undefined) return null;
  return [
    ...[request[2], append[2], write[2], leaderDurable],
    ...best,
    ...[ackHandled[2], answer[2], answered],
  ];
}
