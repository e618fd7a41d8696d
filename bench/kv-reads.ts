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
// And what bound the phase's rate on this 2-core machine: how much of a core the busiest server
// (the one the reads go to: its JavaScript runs on one thread) used over the window
// (`busiestServerCores`), how much the client used (`clientCores`), and how busy the machine's
// CPUs were in all (`machineBusy`, from /proc/stat: the other processes on the host included). A
// busiest server near 1 core means its thread bounds the rate; a machine near 100% busy means the
// cores do. `kernelUs` is the system time per read of the servers and the client together (the
// TCP loopback and UDP syscalls), a share no change to JavaScript can cut.
//
// With `--http-floor`, a fourth phase joins each round: 64 clients asking GET /health, a request
// that does no Raft work at all (no log, no round, no lease; the same server, the same HTTP
// client; since session 12 its route skips the URL object and the router, as a read's does). A
// read mode can at best match it (a lease read comes close: the same HTTP, a store lookup), so
// its rate over the log reads' bounds what ReadIndex can reach on this machine
// (`httpFloor.toLog`), and its cost per request is the HTTP's share of a read's.
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
  /** Of the servers' and the client's CPU per read, the µs spent in the kernel (stime). */
  readonly kernelUs: number;
  /** Raft datagrams the cluster sent per read. */
  readonly datagrams: number;
  /** The CPU the busiest server used over the window, in cores (1: its thread never idled). */
  readonly busiestServerCores: number;
  /** The CPU the load process used over the window, in cores. */
  readonly clientCores: number;
  /** The share of the machine's CPU time that was busy over the window (every process's). */
  readonly machineBusy: number;
};

/** CPU time in µs: user and system. */
type Cpu = { readonly userUs: number; readonly sysUs: number };

type Sample = {
  /** CPU by server, in the order of `pids()` (their sum is the servers' CPU). */
  readonly perServer: readonly Cpu[];
  readonly client: Cpu;
  readonly datagrams: number;
  /** The machine's CPU time so far, all CPUs, and the part of it that was busy (/proc/stat). */
  readonly machine: { readonly totalUs: number; readonly busyUs: number };
  /** Wall time the samples span (0 in a single sample; the window's, once subtracted). */
  readonly wallUs: number;
};

const consistencies = ["log", "readIndex", "lease"] as const;

/** A read phase's requests: GETs of one consistency, or GET /health (the HTTP floor). */
type Mode = ReadConsistency | "health";

/**
 * The three read phases, interleaved and repeated `readRounds` times: `{ log, readIndex, lease }`,
 * the mean ops/s of each, the ratios of ReadIndex and lease to log reads (of the sums), `byCpu`,
 * the same ratios by CPU per read (servers + client), and `cost`, each consistency's CPU per read
 * and datagrams per read (of the sums over the rounds).
 */
export async function readPhases(target: ReadTarget, s: ReadSettings, rows: Row[]) {
  const ops: Record<Mode, number> = { log: 0, readIndex: 0, lease: 0, health: 0 };
  const none: Sample = {
    perServer: [],
    client: { userUs: 0, sysUs: 0 },
    datagrams: 0,
    machine: { totalUs: 0, busyUs: 0 },
    wallUs: 0,
  };
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
        `${label}: ${result.opsPerSec} ops/s; per read: servers ${perRead.serverCpuUs} µs CPU (${perRead.perServerCpuUs.join(" + ")}), client ${perRead.clientCpuUs} µs, kernel ${perRead.kernelUs} µs of both, ${perRead.datagrams} datagrams; busiest server ${perRead.busiestServerCores} cores, client ${perRead.clientCores}, machine ${Math.round(perRead.machineBusy * 100)}% busy${at}`,
      );
    }
  }
  const mean = (c: Mode) => Math.round(ops[c] / s.readRounds);
  const ratio = (c: Mode) => round2(ops[c] / Math.max(1, ops.log));
  const cost = {
    log: costOf(used.log, counted.log),
    readIndex: costOf(used.readIndex, counted.readIndex),
    lease: costOf(used.lease, counted.lease),
  };
  const healthCost = costOf(used.health, counted.health);
  const byCpu = {
    readIndexToLog: cpuRatio(cost.log, cost.readIndex),
    leaseToLog: cpuRatio(cost.log, cost.lease),
    ...(s.httpFloor ? { httpFloorToLog: cpuRatio(cost.log, healthCost) } : {}),
  };
  console.log(
    `reads by CPU per read (servers + client): ReadIndex ${byCpu.readIndexToLog}x log, lease ${byCpu.leaseToLog}x${s.httpFloor ? `, GET /health ${byCpu.httpFloorToLog}x` : ""}`,
  );
  const floor = { opsPerSec: mean("health"), toLog: ratio("health") };
  return {
    log: mean("log"),
    readIndex: mean("readIndex"),
    lease: mean("lease"),
    readRounds: s.readRounds,
    readIndexToLog: ratio("readIndex"),
    leaseToLog: ratio("lease"),
    byCpu,
    cost,
    ...(s.httpFloor ? { httpFloor: { ...floor, cost: healthCost } } : {}),
  };
}

/**
 * How many reads of `mode` the CPU of one log read pays for, servers and client together: the
 * rate ratio the two cores would give if CPU alone bound both phases. It moves far less with the
 * machine's other load than the rates do (docs/benchmarks.md, session 13), so it is the figure to
 * compare builds by on a shared machine; the target is stated in rates.
 */
function cpuRatio(log: ReadCost, mode: ReadCost): number {
  return round2(
    (log.serverCpuUs + log.clientCpuUs) / Math.max(1, mode.serverCpuUs + mode.clientCpuUs),
  );
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
  const minus = (a: Cpu, b: Cpu | undefined): Cpu => ({
    userUs: a.userUs - (b?.userUs ?? 0),
    sysUs: a.sysUs - (b?.sysUs ?? 0),
  });
  return {
    result,
    window,
    sample: {
      perServer: after.perServer.map((cpu, i) => minus(cpu, before.perServer[i])),
      client: minus(after.client, before.client),
      datagrams: after.datagrams - before.datagrams,
      machine: {
        totalUs: after.machine.totalUs - before.machine.totalUs,
        busyUs: after.machine.busyUs - before.machine.busyUs,
      },
      wallUs: window.endUs - window.startUs,
    },
  };
}

/** Two phases' samples summed (the servers in the same order: one cluster serves every round). */
function add(a: Sample, b: Sample): Sample {
  const plus = (x: Cpu, y: Cpu | undefined): Cpu => ({
    userUs: x.userUs + (y?.userUs ?? 0),
    sysUs: x.sysUs + (y?.sysUs ?? 0),
  });
  return {
    perServer: b.perServer.map((cpu, i) => plus(cpu, a.perServer[i])),
    client: plus(a.client, b.client),
    datagrams: a.datagrams + b.datagrams,
    machine: {
      totalUs: a.machine.totalUs + b.machine.totalUs,
      busyUs: a.machine.busyUs + b.machine.busyUs,
    },
    wallUs: a.wallUs + b.wallUs,
  };
}

/** The CPU used so far by the servers, this process and the machine, and the datagrams sent. */
async function sample(target: ReadTarget): Promise<Sample> {
  const cpu = process.cpuUsage();
  const client = { userUs: cpu.user, sysUs: cpu.system };
  const [perServer, machine] = await Promise.all([
    Promise.all(target.pids().map(processCpu)),
    machineCpu(),
  ]);
  return { perServer, client, datagrams: await target.sentDatagrams(), machine, wallUs: 0 };
}

/**
 * The machine's CPU time since boot over all CPUs, and the part of it not idle (/proc/stat's
 * first line: user, nice, system, idle, iowait, irq, softirq, steal, in clock ticks; idle and
 * iowait are the idle part). Zeros where there is no /proc/stat.
 */
async function machineCpu(): Promise<{ totalUs: number; busyUs: number }> {
  const stat = await readFile("/proc/stat", "utf8").catch(() => "");
  const ticks = (stat.split("\n")[0] ?? "").trim().split(/\s+/).slice(1, 9).map(Number);
  if (ticks.length < 5 || ticks.some(Number.isNaN)) return { totalUs: 0, busyUs: 0 };
  const totalUs = ticks.reduce((a, b) => a + b, 0) * 10_000;
  const idleUs = ((ticks[3] ?? 0) + (ticks[4] ?? 0)) * 10_000;
  return { totalUs, busyUs: totalUs - idleUs };
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
  const { userUs, sysUs } = await processCpu(pid);
  return userUs + sysUs;
}

/** utime and stime of process `pid` (all its threads), in µs; zeros once it is gone. */
async function processCpu(pid: number): Promise<Cpu> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => null);
  if (stat === null) return { userUs: 0, sysUs: 0 };
  // Fields after the command name (which may hold spaces, hence the last ")"): utime and stime
  // are the 14th and 15th fields, in clock ticks (USER_HZ, 100 on Linux).
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { userUs: Number(fields[11]) * 10_000, sysUs: Number(fields[12]) * 10_000 };
}

function costOf(used: Sample, reads: number): ReadCost {
  const n = Math.max(1, reads);
  const per = (x: number) => Math.round((x / n) * 100) / 100;
  const totals = used.perServer.map((cpu) => cpu.userUs + cpu.sysUs);
  const sys = used.perServer.reduce((sum, cpu) => sum + cpu.sysUs, used.client.sysUs);
  const cores = (us: number) => Math.round((us / Math.max(1, used.wallUs)) * 100) / 100;
  return {
    serverCpuUs: Math.round(totals.reduce((a, b) => a + b, 0) / n),
    perServerCpuUs: totals.map((us) => Math.round(us / n)).sort((a, b) => b - a),
    clientCpuUs: Math.round((used.client.userUs + used.client.sysUs) / n),
    kernelUs: Math.round(sys / n),
    datagrams: per(used.datagrams),
    busiestServerCores: cores(Math.max(0, ...totals)),
    clientCores: cores(used.client.userUs + used.client.sysUs),
    machineBusy: Math.round((used.machine.busyUs / Math.max(1, used.machine.totalUs)) * 100) / 100,
  };
}

/** CLOCK_MONOTONIC in µs: the clock of a V8 CPU profile's `startTime` and samples. */
function monotonicUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}
