// One examples/kv cluster as bench kv drives it: three server processes on loopback started
// through LocalCluster, warmed, and wrapped as a `Target` the phases send PUTs and GETs to; the
// run's settings that shape it; and, when it is closed, the servers' log lines around any election.
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { LocalCluster } from "../examples/kv/src/local-cluster.js";
import { formatLogRecord, type LogRecord } from "../examples/kv/src/log-records.js";
import { kvPutter, type ReadConsistency } from "./kv-http.js";
import type { ReadSettings, ReadTarget } from "./kv-reads.js";
import { traceNodeArgs } from "./kv-trace.js";
import { warmCluster } from "./kv-warmup.js";

export type Settings = {
  readonly warmupMs: number;
  readonly durationMs: number;
  /** Untimed PUTs each fresh cluster (etcd's too) takes before its first phase (kv-warmup.ts). */
  readonly clusterWarmupMs: number;
  readonly largeValueBytes: number;
  readonly losses: readonly number[];
  /** Extra kv-server options for every Flotilla cluster (`--server-args="--tick-ms 20"`). */
  readonly serverArgs: readonly string[];
  /** How many 1-client rounds the full run measures, etcd's after each (`--c1-rounds`). */
  readonly c1Rounds: number;
  /** How many times the three read phases run, interleaved (log, ReadIndex, lease, log, ...). */
  readonly readRounds: number;
  /** A GET /health phase in each read round (`--http-floor`, kv-reads.ts). */
  readonly httpFloor: boolean;
  /** Where every server writes a V8 CPU profile (`--cpu-prof DIR`), or null. */
  readonly cpuProfDir: string | null;
  /** Where the servers record a traced 1-client phase (`--put-only --trace DIR`), or null. */
  readonly traceDir: string | null;
  /** The most clients a phase runs (64, or more with `--clients`): the HTTP client's connections. */
  readonly maxClients: number;
  readonly dir: string;
};

export type Target = {
  readonly name: string;
  put(key: string, value: Buffer): Promise<void>;
  /** A GET served with this consistency (Flotilla only). */
  get?(key: string, consistency: ReadConsistency): Promise<void>;
  /** The highest term any running node reports (Flotilla only). */
  term?(): Promise<number>;
  /** What the read phases measure besides reads, and the HTTP floor's request (Flotilla only). */
  readCosts?: Omit<ReadTarget, "get">;
  /** The server processes, whose CPU per request the `--put-only` phases report. */
  pids?(): number[];
};

export const ids = ["a", "b", "c"];

export async function startKv(s: Settings, name: string, args: readonly string[]) {
  await mkdir(join(s.dir, name));
  const serverArgs = [...s.serverArgs, ...args];
  const nodeArgs = [
    ...(s.cpuProfDir === null ? [] : ["--cpu-prof", `--cpu-prof-dir=${s.cpuProfDir}`]),
    ...(s.traceDir === null ? [] : traceNodeArgs(s.traceDir)),
  ];
  const cluster = await LocalCluster.create({ ids, dir: join(s.dir, name), serverArgs, nodeArgs });
  await Promise.all(ids.map((id) => cluster.start(id)));
  await cluster.waitForLeader();
  const putter = kvPutter(cluster.urls, undefined, s.maxClients);
  await warmCluster(putter.put, s.clusterWarmupMs);
  const target: Target = {
    name,
    put: putter.put,
    get: putter.get,
    term: async () => Math.max(0, ...(await cluster.statuses()).map((st) => st.term)),
    pids: () => ids.map((id) => cluster.pid(id)).filter((pid) => pid !== null),
    readCosts: {
      health: putter.health,
      pids: () => ids.map((id) => cluster.pid(id)).filter((pid) => pid !== null),
      sentDatagrams: async () =>
        (await cluster.statuses()).reduce((sum, st) => sum + st.transport.sentDatagrams, 0),
    },
  };
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    putter.close();
    // A profile is written only by a process that exits by itself: SIGINT first (a leader hands
    // over), then the kill by pid for whatever is left.
    if (s.cpuProfDir !== null) await Promise.all(ids.map((id) => cluster.kill(id, "SIGINT")));
    await cluster.destroy();
    await printElections(cluster);
  };
  return { cluster, target, close };
}

/** The read phases' settings. */
export function readSettings(s: Settings): ReadSettings {
  const { warmupMs, durationMs, readRounds } = s;
  const printWindows = s.cpuProfDir !== null;
  return { warmupMs, durationMs, readRounds, printWindows, httpFloor: s.httpFloor };
}

/** The Flotilla target as the read phases want it. */
export function readTarget(target: Target): ReadTarget {
  const { get, readCosts } = target;
  if (get === undefined || readCosts === undefined)
    throw new Error(`${target.name} serves no reads`);
  return { get, ...readCosts };
}

/**
 * The servers' log lines around elections, when there were any: who campaigned when, and the
 * event-loop stalls (100 ms and more) before it, which is where a spurious election starts.
 */
async function printElections(cluster: LocalCluster): Promise<void> {
  const records: LogRecord[] = [];
  for (const id of ids) {
    const mine = await cluster.logRecords(id);
    records.push(
      ...mine.filter(
        (r) =>
          r.msg === "election started" ||
          r.msg === "pre-vote started" ||
          (r.msg === "event loop stalled" && Number(r.ms) >= 100),
      ),
    );
  }
  records.sort((a, b) => a.time - b.time);
  const elections = records.filter((r) => r.msg !== "event loop stalled").map((r) => r.time);
  // Each campaign, with the stalls of the second before it.
  const shown = records.filter((r) => elections.some((t) => r.time <= t && r.time >= t - 1000));
  if (shown.length > 0) {
    console.log(`elections in ${cluster.dir}:\n  ${shown.map(formatLogRecord).join("\n  ")}`);
  }
}
