// `pnpm bench kv`: examples/kv as a user runs it, three server processes on loopback (UDP between
// them, HTTP for clients), under a closed-loop PUT load from this process; side by side with a
// 3-node etcd on loopback when an `etcd` binary is on PATH, interleaved phase by phase in the
// same run. Each fresh cluster, etcd's too, first takes `--cluster-warmup-ms` of untimed PUTs
// (kv-warmup.ts). Phases (each: warm-up, then the measured window):
//
//   file storage, 1 / 16 / 64 clients, 64-byte values       (etcd: the same, right after each;
//                   1 client `--c1-rounds` times, default 3, the median round's figures kept)
//   file storage, 4 clients, 1 MiB values                    (etcd: the same)
//   file storage, 64 clients reading 64-byte values, once per read consistency: through the log,
//                   ReadIndex, lease (examples/kv GET ?consistency=), the three interleaved and
//                   repeated `--read-rounds` times (default 3): `reads` in ops/s (the mean over
//                   the rounds) and `readIndexToLog`, `leaseToLog`, ratios of the sums, which hold
//                   on a shared machine where single figures do not; `byCpu`, the same ratios
//                   by CPU per read (servers + client), which move less still; `cost`, each one's CPU per
//                   read on the servers and in the client (and the kernel's part of it),
//                   datagrams per read, and what bound the rate: the cores the busiest server
//                   and the client used, and how busy the machine was (kv-reads.ts);
//                   with --http-floor, a GET /health phase in each round (HTTP, no Raft work:
//                   what no read mode can beat)
//   file storage, 64 clients, healthy and then with one follower SIGKILLed, back to back (the
//                   share of the healthy rate is taken from these two, a minute apart at most)
//   memory storage (a fresh cluster), 1 / 16 / 64 clients
//   --loss 0.1,0.3: fresh file clusters at 16 clients, lossless and then dropping each share of
//                   the Raft datagrams, etcd's beside each (kv-loss.ts)
//
// `--reads-only` runs one 64-client PUT phase and the read phases alone; `--loss-only`, the loss
// phases alone; `--put-only`, the file-storage PUT phases beside etcd's, `--rounds` times over.
//
// `leaderChanges` counts the term changes seen across the measured phases (the highest term any
// node reports, before and after each phase). Every process is killed by pid; data lives in one
// temporary directory, removed at the end. The last line is one JSON object (docs/benchmarks.md).
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { LocalCluster } from "../examples/kv/src/local-cluster.js";
import { closedLoop, type PhaseResult } from "./closed-loop.js";
import {
  ids,
  readSettings,
  readTarget,
  type Settings,
  startKv,
  type Target,
} from "./kv-cluster.js";
import { type EtcdCluster, findEtcd, startEtcd } from "./kv-etcd.js";
import { type LossSettings, lossPhases } from "./kv-loss.js";
import { alternatedRounds, medianRound, putRounds, roundsLine, withCpu } from "./kv-put-rounds.js";
import { benchKey, keysPerClient, readPhases, serversCpu } from "./kv-reads.js";
import { pick, printTable, type Row, round2 } from "./kv-report.js";
import { summarizeKvTrace, tracedPuts } from "./kv-trace.js";
import { warmCluster } from "./kv-warmup.js";

let leaderChanges = 0;

async function phase(target: Target, clients: number, valueBytes: number, s: Settings) {
  const value = Buffer.alloc(valueBytes, "v");
  const before = (await target.term?.()) ?? 0;
  const cpu = serversCpu(target.pids?.() ?? []);
  const result = await closedLoop({
    clients,
    warmupMs: s.warmupMs,
    durationMs: s.durationMs,
    request: (client, seq) => target.put(benchKey(client, seq), value),
    window: cpu.window,
  });
  const changes = target.term === undefined ? 0 : (await target.term()) - before;
  if (target.term !== undefined) leaderChanges += changes;
  const requests = (result.opsPerSec * s.durationMs) / 1000;
  const serverCpuUsPerOp = Math.round((await cpu.usedUs()) / Math.max(1, requests));
  return { ...result, leaderChanges: changes, serverCpuUsPerOp };
}

/**
 * Puts 64-byte values back under the keys `clients` clients of a large-value phase wrote
 * (`bench-<client>-<0..127>`). The read phases read those key names: left at 1 MiB, the few
 * reads that hit them cost log reads far more than ReadIndex reads and swung the ratio
 * (session 9: ReadIndex/log 4.93 and 3.01 with them, 2.28 and 2.47 without).
 */
async function putSmallValuesBack(target: Target, clients: number) {
  const value = Buffer.alloc(64, "v");
  const client = async (c: number) => {
    for (let n = 0; n < keysPerClient; n++) await target.put(benchKey(c, n), value);
  };
  await Promise.all(Array.from({ length: clients }, (_, c) => client(c)));
}

/**
 * Failover: one client writing in a loop; the leader is SIGKILLed; the time from the kill to the
 * next write that succeeds (a new leader elected, found by the client, and committing).
 */
async function failover(cluster: LocalCluster, target: Target): Promise<number> {
  const leader = await cluster.waitForLeader();
  const value = Buffer.alloc(64, "f");
  let killedAt = 0;
  let recoveredAt = 0;
  let stop = false;
  const writer = (async () => {
    for (let seq = 0; !stop; seq += 1) {
      try {
        await target.put(`failover-${seq % 16}`, value);
        if (killedAt > 0 && recoveredAt === 0) recoveredAt = performance.now();
      } catch {
        // Retried by the next iteration.
      }
    }
  })();
  await new Promise((resolve) => setTimeout(resolve, 500));
  killedAt = performance.now();
  await cluster.kill(leader, "SIGKILL");
  const deadline = performance.now() + 20_000;
  while (recoveredAt === 0 && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  stop = true;
  await writer;
  return recoveredAt === 0 ? -1 : Math.round(recoveredAt - killedAt);
}

export async function main(argv: readonly string[]): Promise<void> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      quick: { type: "boolean", default: false },
      "duration-ms": { type: "string" },
      "warmup-ms": { type: "string" },
      "cluster-warmup-ms": { type: "string", default: "2000" },
      "large-value-bytes": { type: "string", default: String(1024 * 1024) },
      loss: { type: "string" },
      "no-etcd": { type: "boolean", default: false },
      "server-args": { type: "string", default: "" },
      "reads-only": { type: "boolean", default: false },
      "loss-only": { type: "boolean", default: false },
      "read-rounds": { type: "string", default: "3" },
      "c1-rounds": { type: "string", default: "3" },
      "http-floor": { type: "boolean", default: false },
      "put-only": { type: "boolean", default: false },
      clients: { type: "string", default: "1,16,64" },
      rounds: { type: "string", default: "1" },
      "value-bytes": { type: "string", default: "64" },
      "cpu-prof": { type: "string" },
      trace: { type: "string" },
    },
  });
  const quick = values.quick === true;
  const dir = await mkdtemp(join(tmpdir(), "flotilla-bench-kv-"));
  const s: Settings = {
    warmupMs: Number(values["warmup-ms"] ?? (quick ? 500 : 1000)),
    durationMs: Number(values["duration-ms"] ?? (quick ? 2000 : 5000)),
    clusterWarmupMs: Number(values["cluster-warmup-ms"]),
    largeValueBytes: Number(values["large-value-bytes"]),
    losses: values.loss === undefined ? [] : values.loss.split(",").map(Number),
    serverArgs: values["server-args"].split(" ").filter((arg) => arg !== ""),
    readRounds: Number(values["read-rounds"]),
    c1Rounds: Number(values["c1-rounds"]),
    httpFloor: values["http-floor"] === true,
    cpuProfDir: values["cpu-prof"] ?? null,
    traceDir: values.trace ?? null,
    maxClients: Math.max(64, ...values.clients.split(",").map(Number).filter(Number.isSafeInteger)),
    dir,
  };
  if (!Number.isSafeInteger(s.c1Rounds) || s.c1Rounds < 1) {
    throw new Error(`--c1-rounds: expected a positive integer, got ${values["c1-rounds"]}`);
  }
  if (!Number.isSafeInteger(s.readRounds) || s.readRounds < 1) {
    throw new Error(`--read-rounds: expected a positive integer, got ${values["read-rounds"]}`);
  }
  const etcdBinary = values["no-etcd"] === true ? null : findEtcd();
  console.log(
    `bench kv: ${s.clusterWarmupMs} ms warm-up per cluster, ${s.warmupMs} ms warm-up + ${s.durationMs} ms per phase; etcd: ${etcdBinary ?? "skipped: no etcd on PATH"}; data in ${dir}`,
  );
  const rows: Row[] = [];
  const json: Record<string, unknown> = {};
  const closers: (() => Promise<void>)[] = [];
  try {
    if (values["loss-only"] === true) {
      json.lossy = await lossPhases(lossSettings(s, closers), rows, etcdBinary);
      printTable(rows);
      console.log(JSON.stringify(json));
      return;
    }
    const file = await startKv(s, "file", []);
    closers.push(file.close);
    if (values["reads-only"] === true) {
      // Only the read phases, after one 64-client PUT phase that writes the keys they read.
      await phase(file.target, 64, 64, s);
      json.reads = await readPhases(readTarget(file.target), readSettings(s), rows);
      printTable(rows);
      await file.close();
      console.log(JSON.stringify(json));
      return;
    }
    let etcd: EtcdCluster | null = null;
    if (etcdBinary !== null) {
      await mkdir(join(dir, "etcd"));
      etcd = await startEtcd(etcdBinary, join(dir, "etcd"));
      closers.push(etcd.destroy);
      await warmCluster(etcd.put, s.clusterWarmupMs);
    }
    const etcdTarget: Target | null =
      etcd === null ? null : { name: "etcd", put: etcd.put, pids: etcd.pids };
    const run = (target: Target, clients: number, bytes: number) =>
      phase(target, clients, bytes, s);
    const fileRows: Record<string, PhaseResult> = {};
    const etcdRows: Record<string, PhaseResult> = {};
    if (values["put-only"] === true) {
      const clientCounts = positiveIntegers(values.clients, "--clients");
      const [rounds] = positiveIntegers(values.rounds, "--rounds");
      const [valueBytes] = positiveIntegers(values["value-bytes"], "--value-bytes");
      const shape = { clientCounts, rounds: rounds!, valueBytes: valueBytes! };
      json.putRounds = await putRounds(run, file.target, etcdTarget, shape, rows);
      json.leaderChanges = leaderChanges;
      printTable(rows);
      if (s.traceDir !== null) await traceOnePut(file.cluster, file.target, s, s.traceDir);
      console.log(JSON.stringify(json));
      return;
    }
    // One client, --c1-rounds times, etcd's after each: the figures of the round whose p50 ratio
    // is the median (c1Rounds in the JSON has them all). Our servers' JIT compiles their PUT path
    // well into the first rounds (docs/benchmarks.md, session 11), so a single first round
    // measured their compiler as much as their commits; etcd's is compiled ahead of time.
    const c1Shape = { clients: 1, rounds: s.c1Rounds, valueBytes: 64 };
    const c1Pairs = await alternatedRounds(run, file.target, etcdTarget, c1Shape, rows);
    const c1 = medianRound(c1Pairs);
    fileRows.c1 = c1.ours;
    if (c1.etcd !== null) etcdRows.c1 = c1.etcd;
    json.c1Rounds = {
      ours: c1Pairs.map((p) => withCpu(p.ours)),
      etcd: c1Pairs.flatMap((p) => (p.etcd === null ? [] : [withCpu(p.etcd)])),
      p50Ratios: c1Pairs.flatMap((p) =>
        p.etcd === null ? [] : [round2(p.ours.p50Us / Math.max(1, p.etcd.p50Us))],
      ),
    };
    for (const clients of [16, 64]) {
      const ours = await phase(file.target, clients, 64, s);
      fileRows[`c${clients}`] = ours;
      const theirs = etcdTarget === null ? null : await phase(etcdTarget, clients, 64, s);
      if (theirs !== null) etcdRows[`c${clients}`] = theirs;
      rows.push({ label: `file, ${clients} clients, 64 B`, ours, etcd: theirs });
    }
    const large = await phase(file.target, 4, s.largeValueBytes, s);
    const etcdLarge = etcdTarget === null ? null : await phase(etcdTarget, 4, s.largeValueBytes, s);
    rows.push({ label: `file, 4 clients, ${s.largeValueBytes} B`, ours: large, etcd: etcdLarge });
    await etcd?.destroy();
    await putSmallValuesBack(file.target, 4);
    json.reads = await readPhases(readTarget(file.target), readSettings(s), rows);
    const healthy = await phase(file.target, 64, 64, s);
    rows.push({ label: "file, 64 clients, healthy (before the kill)", ours: healthy, etcd: null });
    const leader = await file.cluster.waitForLeader();
    await file.cluster.kill(ids.find((id) => id !== leader)!, "SIGKILL");
    const dead = await phase(file.target, 64, 64, s);
    rows.push({ label: "file, 64 clients, a follower SIGKILLed", ours: dead, etcd: null });
    await file.close();

    const memory = await startKv(s, "memory", ["--storage", "memory"]);
    closers.push(memory.close);
    const memoryRows: Record<string, PhaseResult> = {};
    for (const clients of [1, 16, 64]) {
      const ours = await phase(memory.target, clients, 64, s);
      memoryRows[`c${clients}`] = ours;
      rows.push({ label: `memory, ${clients} clients, 64 B`, ours, etcd: null });
    }
    const failoverMs = await failover(memory.cluster, memory.target);
    await memory.close();

    const lossy =
      s.losses.length > 0 ? await lossPhases(lossSettings(s, closers), rows, etcdBinary) : null;

    printTable(rows);
    console.log(roundsLine(1, c1Pairs));
    console.log(`failover (memory cluster, leader SIGKILLed under 1 client): ${failoverMs} ms`);
    json.file = mapRows(fileRows);
    json.memory = mapRows(memoryRows);
    json.deadFollower = {
      c64: pick(dead),
      healthyC64: pick(healthy),
      ofHealthy: round2(dead.opsPerSec / Math.max(1, healthy.opsPerSec)),
    };
    json.largeValues = {
      opsPerSec: large.opsPerSec,
      p99Us: large.p99Us,
      leaderChanges: large.leaderChanges,
    };
    json.etcd = etcd === null ? null : mapRows(etcdRows);
    json.leaderChanges = leaderChanges;
    json.failoverMs = failoverMs;
    if (lossy !== null) json.lossy = lossy;
  } finally {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
  console.log(JSON.stringify(json));
}

/** The loss phases' view of the bench: 16 clients of 64-byte values, on fresh clusters. */
function lossSettings(s: Settings, closers: (() => Promise<void>)[]): LossSettings {
  return {
    dir: s.dir,
    losses: s.losses,
    clusterWarmupMs: s.clusterWarmupMs,
    measureOurs: async (name, args) => {
      const cluster = await startKv(s, name, args);
      closers.push(cluster.close);
      const ours = await phase(cluster.target, 16, 64, s);
      await cluster.close();
      return ours;
    },
    measureEtcd: (put) => phase({ name: "etcd", put }, 16, 64, s),
    onClose: (close) => closers.push(close),
  };
}

/** `--trace`: one more 1-client phase, recorded in every process, and where its time went. */
async function traceOnePut(cluster: LocalCluster, target: Target, s: Settings, dir: string) {
  const leader = await cluster.waitForLeader();
  const pids = [leader, ...ids.filter((id) => id !== leader)].map((id) => cluster.pid(id) ?? 0);
  await tracedPuts(target.put, s.warmupMs, s.durationMs, dir, pids);
  console.log(summarizeKvTrace(dir));
}

function positiveIntegers(list: string, flag: string): number[] {
  const numbers = list.split(",").map(Number);
  if (numbers.length === 0 || numbers.some((n) => !Number.isSafeInteger(n) || n < 1)) {
    throw new Error(`${flag}: expected positive integers separated by commas, got ${list}`);
  }
  return numbers;
}

function mapRows(rows: Record<string, PhaseResult>) {
  return Object.fromEntries(Object.entries(rows).map(([k, r]) => [k, pick(r)]));
}
