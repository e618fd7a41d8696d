// The read phases of `bench kv` (issue 13): 64 clients reading 64-byte values, once per read
// consistency (examples/kv GET ?consistency=log|readIndex|lease), the three interleaved and
// repeated `--read-rounds` times, so that load drifting during the run weighs on each alike.
//
// Besides ops/s, each phase says what a read cost, so that builds compare on a shared machine
// where throughput does not hold from one minute to the next: the CPU the three servers spent per
// read (utime + stime of each process from /proc/PID/stat over the measured window, every thread
// included), also per server, most first (the first is the server the reads go to: one busy
// thread, it bounds the rate of the read modes that take no log write), the CPU this process
// spent per read (the load's HTTP client, `process.cpuUsage()`),
// and the Raft datagrams the cluster sent per read (the servers' transport counters). A ReadIndex
// read that shares its heartbeat round with others costs a fraction of a datagram; one that
// costs a datagram of its own shows here.
//
// With `--http-floor`, a fourth phase joins each round: 64 clients asking GET /health, a request
// that does no Raft work at all (no log, no round, no lease; the same server, the same HTTP
// client). No read mode can beat it, so its rate over the log reads' bounds what ReadIndex can
// reach on this machine (`httpFloor.toLog`), and its cost per request is the HTTP's share of a
// read's.
import { readFile } from "node:fs/promises";
import { closedLoop, type PhaseResult } from "./closed-loop.js";
import type { ReadConsistency } from "./kv-http.js";
import { type Row, round2 } from "./kv-report.js";

/** What a read phase needs of the cluster under test. */
/** How many keys each client cycles through in bench kv's PUT and read phases. */
export const keysPerClient = 128;

/**
 * The `n`th key of client `client` (taken modulo `keysPerClient`): the PUT phases write these
 * names and the read phases read them, so both sides name them here.
 */
export function benchKey(client: number, n: number): string {
  return `bench-${client}-${n % keysPerClient}`;
}

export type ReadTarget = {
  /** A GET served with this consistency. */
  get(key: string, consistency: ReadConsistency): Promise<void>;
  /** The pids of the server processes (their CPU is read from /proc). */
  pids(): readonly number[];
  /** Raft datagrams sent so far, summed over the servers that answer. */
  sentDatagrams(): Promise<number>;
  /** GET /health at the server that answers reads: HTTP and nothing else (`httpFloor`). */
  health(): Promise<void>;
};

/** The read phases' settings (bench kv's). */
export type ReadSettings = {
  readonly warmupMs: number;
  readonly durationMs: number;
  readonly readRounds: number;
  /**
   * Print each phase's measured window on the monotonic clock of V8's CPU profiles (µs), so a
   * profile taken with `--cpu-prof` can be cut to one phase.
   */
  readonly printWindows: boolean;
  /** Add the GET /health phase to each round (`--http-floor`). */
  readonly httpFloor: boolean;
};

/** What one read cost, over a phase's measured window. */
export type ReadCost = {
  /** CPU µs the three servers spent per read completed in the window. */
  readonly serverCpuUs: number;
  /** The same per server, most first: the server the reads go to, then its followers. */
  readonly perServerCpuUs: readonly number[];
  /** CPU µs the load process (the HTTP client) spent per read. */
  readonly clientCpuUs: number;
  /** Raft datagrams the cluster sent per read. */
  readonly datagrams: number;
};

type Sample = {
  /** CPU µs by server, in the order of `pids()` (their sum is the servers' CPU). */
  readonly perServerUs: readonly number[];
  readonly clientUs: number;
  readonly datagrams: number;
};

const consistencies = ["log", "readIndex", "lease"] as const;

/** A read phase's requests: GETs of one consistency, or GET /health (the HTTP floor). */
type Mode = ReadConsistency | "health";

/**
 * The three read phases, interleaved and repeated `readRounds` times: `{ log, readIndex, lease }`,
 * the mean ops/s of each, the ratios of ReadIndex and lease to log reads (of the sums), and
 * `cost`, each consistency's CPU per read and datagrams per read (of the sums over the rounds).
 */
export async function readPhases(target: ReadTarget, s: ReadSettings, rows: Row[]) {
  const ops: Record<Mode, number> = { log: 0, readIndex: 0, lease: 0, health: 0 };
  const none = { perServerUs: [], clientUs: 0, datagrams: 0 };
  const used: Record<Mode, Sample> = { log: none, readIndex: none, lease: none, health: none };
  const counted: Record<Mode, number> = { log: 0, readIndex: 0, lease: 0, health: 0 };
  const modes: readonly Mode[] = s.httpFloor ? [...consistencies, "health"] : consistencies;
  for (let round = 1; round <= s.readRounds; round++) {
    for (const consistency of modes) {
      const { result, sample, window } = await readPhase(target, consistency, s);
      ops[consistency] += result.opsPerSec;
      const completed = result.opsPerSec * (s.durationMs / 1000);
      counted[consistency] += completed;
      const u = used[consistency];
      used[consistency] = add(u, sample);
      const ours = { ...result, leaderChanges: 0 };
      const perRead = costOf(sample, completed);
      const what = consistency === "health" ? "GET /health" : `GET by ${consistency}`;
      const label = `file, 64 clients, ${what}${s.readRounds > 1 ? ` #${round}` : ""}`;
      rows.push({ label, ours, etcd: null });
      const at = s.printWindows ? ` (profile window ${window.startUs}-${window.endUs} µs)` : "";
      console.log(
        `${label}: ${result.opsPerSec} ops/s; per read: servers ${perRead.serverCpuUs} µs CPU (${perRead.perServerCpuUs.join(" + ")}), client ${perRead.clientCpuUs} µs, ${perRead.datagrams} datagrams${at}`,
      );
    }
  }
  const mean = (c: Mode) => Math.round(ops[c] / s.readRounds);
  const ratio = (c: Mode) => round2(ops[c] / Math.max(1, ops.log));
  const floor = { opsPerSec: mean("health"), toLog: ratio("health") };
  return {
    log: mean("log"),
    readIndex: mean("readIndex"),
    lease: mean("lease"),
    readRounds: s.readRounds,
    readIndexToLog: ratio("readIndex"),
    leaseToLog: ratio("lease"),
    cost: {
      log: costOf(used.log, counted.log),
      readIndex: costOf(used.readIndex, counted.readIndex),
      lease: costOf(used.lease, counted.lease),
    },
    ...(s.httpFloor ? { httpFloor: { ...floor, cost: costOf(used.health, counted.health) } } : {}),
  };
}

/** 64 clients reading the keys the PUT phases wrote, with one read consistency (or /health). */
async function readPhase(target: ReadTarget, consistency: Mode, s: ReadSettings) {
  const samples: Promise<Sample>[] = [];
  const window = { startUs: 0, endUs: 0 };
  const result: PhaseResult = await closedLoop({
    clients: 64,
    warmupMs: s.warmupMs,
    durationMs: s.durationMs,
    request: (client, seq) =>
      consistency === "health" ? target.health() : target.get(benchKey(client, seq), consistency),
    window: {
      start: () => {
        window.startUs = monotonicUs();
        samples.push(sample(target));
      },
      end: () => {
        window.endUs = monotonicUs();
        samples.push(sample(target));
      },
    },
  });
  const [before, after] = await Promise.all(samples);
  if (before === undefined || after === undefined) throw new Error("the window was not sampled");
  return {
    result,
    window,
    sample: {
      perServerUs: after.perServerUs.map((us, i) => us - (before.perServerUs[i] ?? 0)),
      clientUs: after.clientUs - before.clientUs,
      datagrams: after.datagrams - before.datagrams,
    },
  };
}

/** Two phases' samples summed (the servers in the same order: one cluster serves every round). */
function add(a: Sample, b: Sample): Sample {
  return {
    perServerUs: b.perServerUs.map((us, i) => us + (a.perServerUs[i] ?? 0)),
    clientUs: a.clientUs + b.clientUs,
    datagrams: a.datagrams + b.datagrams,
  };
}

/** The CPU used so far by the servers and this process, and the datagrams sent. */
async function sample(target: ReadTarget): Promise<Sample> {
  const cpu = process.cpuUsage();
  const clientUs = cpu.user + cpu.system;
  const perServerUs = await Promise.all(target.pids().map(processCpuUs));
  return { perServerUs, clientUs, datagrams: await target.sentDatagrams() };
}

/** The CPU `pids` use over a phase's measured window (`closedLoop`'s `window`), in µs. */
export function serversCpu(pids: readonly number[]) {
  const total = async () => (await Promise.all(pids.map(processCpuUs))).reduce((a, b) => a + b, 0);
  let start: Promise<number> = Promise.resolve(0);
  let end: Promise<number> = Promise.resolve(0);
  return {
    window: {
      start: () => {
        start = total();
      },
      end: () => {
        end = total();
      },
    },
    usedUs: async () => (await end) - (await start),
  };
}

/** utime + stime of process `pid` (all its threads), in µs; 0 once it is gone. */
export async function processCpuUs(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => null);
  if (stat === null) return 0;
  // Fields after the command name (which may hold spaces, hence the last ")"): utime and stime
  // are the 14th and 15th fields, in clock ticks (USER_HZ, 100 on Linux).
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

function costOf(used: Sample, reads: number): ReadCost {
  const per = (x: number) => Math.round((x / Math.max(1, reads)) * 100) / 100;
  return {
    serverCpuUs: Math.round(used.perServerUs.reduce((a, b) => a + b, 0) / Math.max(1, reads)),
    perServerCpuUs: used.perServerUs
      .map((us) => Math.round(us / Math.max(1, reads)))
      .sort((a, b) => b - a),
    clientCpuUs: Math.round(used.clientUs / Math.max(1, reads)),
    datagrams: per(used.datagrams),
  };
}

/** CLOCK_MONOTONIC in µs: the clock of a V8 CPU profile's `startTime` and samples. */
function monotonicUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}
