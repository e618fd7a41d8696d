// `pnpm bench growth`: a kv cluster whose state grows large (issue 11). Three examples/kv server
// processes on loopback (UDP between them, file storage, the default snapshot policy), 16 clients
// writing new keys with 1 KiB values until the state reaches --state-mb (200 by default). The run
// is cut into --phases phases of equal growth; for the second half one follower is SIGKILLed, and
// after the last write it is restarted, so it catches up by InstallSnapshot. Measured:
//
//   phases[].opsPerSec       acknowledged writes per second in the phase
//   phases[].maxLoopStallMs  the longest event-loop stall of any running server in the phase
//                            (monitorEventLoopDelay, scraped from /metrics: growth-probe.ts)
//   leaderChanges            leaders seen (term and id) after the first, over the whole run
//   catchUp                  the restarted follower, from the moment its API answers until it has
//                            applied the leader's commit index of that moment: the bytes its
//                            transport received meanwhile, the time, MB/s (MB = 2^20 bytes), and
//                            the leader's state size over that time when a snapshot was sent
//                            (stateMegabytesPerSec: resent bytes do not count there);
//                            also the datagrams it dropped on arrival and the leader's sends its
//                            socket queue refused meanwhile (inboundDropped, leaderSendDropped),
//                            and when its last snapshot chunk was in (snapshotReceivedMs: its
//                            commit index at the leader's snapshot, not yet applied; the rest of
//                            the time is the final fsync, the restore and the entries after), and
//                            the leader's payload bytes sent meanwhile by type, with the snapshot
//                            bytes it sent again (leaderPayloadBytes.installSnapshotResent),
//                            and each server's CPU time over the catch-up (cpuMsByServer: utime +
//                            stime of all its threads from /proc, the follower's from its ready;
//                            the figure a shared machine's load moves least)
//   peakRssMB                the highest peak resident memory of any server (the kernel's mark)
//                            (peakRssMBByServer: each server's, the restarted one over both runs)
//
// Targets (issue 11): leaderChanges 0; the last phase's throughput >= 80% of the first's; every
// stall < 50 ms; catch-up >= 50 MB/s; peak RSS < 2.5x the state. Every process is killed by pid;
// data lives in one temporary directory, removed at the end. The last line is one JSON object.
import { copyFile, mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { LocalCluster } from "../examples/kv/src/local-cluster.js";
import { pause } from "./closed-loop.js";
import { GrowthProbe } from "./growth-probe.js";
import {
  attributeStalls,
  describeCauses,
  describeStall,
  readStallRecords,
  type StallCauses,
  stallCauses,
} from "./growth-stall-causes.js";
import { kvPutter } from "./kv-http.js";
import { processCpuUs } from "./kv-reads.js";

const usage = `usage: pnpm bench growth [--state-mb N] [--phases N] [--clients N] [--value-bytes N]
                         [--time-limit-s N] [--server-args "..."] [--profile-dir DIR]
                         [--log-dir DIR] [--node-args "..."] [--stall-causes]

  --state-mb      grow the state to this many MB (2^20 bytes) of keys and values (default 200;
                  e.g. 20 for a quick run)
  --phases        phases of equal growth; a follower is down for the second half (default 4)
  --clients       concurrent writers (default 16)
  --value-bytes   bytes per value (default 1024)
  --time-limit-s  give up (and report what was reached, completed: false) after this long
                  (default 1800); a phase without a single acknowledged write for 60 s also ends
                  the run
  --server-args   extra kv-server options for every node, e.g. "--snapshot-every 5000"
  --profile-dir   run every server with node --cpu-prof into DIR (one .cpuprofile per server
                  process, written when it exits: the servers are stopped with SIGTERM at the end)
  --log-dir       copy every server's log (<id>.log, JSON lines) into DIR at the end
  --node-args     extra options for node itself in every server process, e.g. --node-args=--trace-gc
                  (what they print goes to the server's log)
  --stall-causes  record in every server when its event loop stalled, its main thread's time on
                  a CPU and waiting for one meanwhile, and its GC pauses (growth-stall-preload.ts);
                  say per phase how many stalls >= 40 ms were at least half GC (by kind), half
                  waiting for a CPU, half blocked (stallCauses in the JSON line)`;

const ids = ["a", "b", "c"];
const MB = 1024 * 1024;
/** A phase with no acknowledged write for this long ends the run: the cluster is not serving. */
const stuckMs = 60_000;
const catchUpLimitMs = 300_000;

type Settings = {
  readonly stateBytes: number;
  readonly phases: number;
  readonly clients: number;
  readonly valueBytes: number;
  readonly timeLimitMs: number;
  readonly serverArgs: readonly string[];
  readonly profileDir: string | null;
  readonly logDir: string | null;
  readonly nodeArgs: readonly string[];
  readonly stallCauses: boolean;
};

type Load = { ackedBytes: number; acked: number; failed: number; done: boolean };

function startWriters(
  urls: readonly string[],
  s: Settings,
): { load: Load; running: Promise<void> } {
  const load: Load = { ackedBytes: 0, acked: 0, failed: 0, done: false };
  const putter = kvPutter(urls, 10_000, s.clients);
  const writer = async (client: number) => {
    const value = Buffer.alloc(s.valueBytes, String.fromCharCode(97 + (client % 26)));
    for (let seq = 0; !load.done; seq += 1) {
      const key = `g${client}-${seq}`;
      try {
        await putter.put(key, value);
        load.acked += 1;
        load.ackedBytes += key.length + value.length;
      } catch {
        load.failed += 1;
        await pause(10);
      }
    }
  };
  const clients = Array.from({ length: s.clients }, (_, client) => writer(client));
  return { load, running: Promise.all(clients).then(() => putter.close()) };
}

function parseSettings(argv: readonly string[]): Settings | "help" {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      "state-mb": { type: "string", default: "200" },
      phases: { type: "string", default: "4" },
      clients: { type: "string", default: "16" },
      "value-bytes": { type: "string", default: "1024" },
      "time-limit-s": { type: "string", default: "1800" },
      "server-args": { type: "string", default: "" },
      "profile-dir": { type: "string" },
      "log-dir": { type: "string" },
      "node-args": { type: "string", default: "" },
      "stall-causes": { type: "boolean", default: false },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help === true) return "help";
  const positive = (name: keyof typeof values, min = 1): number => {
    const n = Number(values[name]);
    if (!Number.isFinite(n) || n < min) throw new UsageError(`--${name}: a number >= ${min}`);
    return n;
  };
  return {
    stateBytes: Math.round(positive("state-mb") * MB),
    phases: Math.floor(positive("phases", 2)),
    clients: Math.floor(positive("clients")),
    valueBytes: Math.floor(positive("value-bytes")),
    timeLimitMs: positive("time-limit-s") * 1000,
    serverArgs: (values["server-args"] ?? "").split(/\s+/).filter((arg) => arg !== ""),
    profileDir: values["profile-dir"] ?? null,
    logDir: values["log-dir"] ?? null,
    nodeArgs: (values["node-args"] ?? "").split(/\s+/).filter((arg) => arg !== ""),
    stallCauses: values["stall-causes"] === true,
  };
}

class UsageError extends Error {
  readonly code = "ERR_PARSE_ARGS_INVALID_OPTION_VALUE";
}

type Phase = { readonly opsPerSec: number; readonly maxLoopStallMs: number; readonly mb: number };

const stallPreload = fileURLToPath(new URL("./growth-stall-preload.ts", import.meta.url));

/** CLOCK_MONOTONIC in ms, the clock growth-stall-preload.ts records on. */
function monotonicMs(): number {
  return Number(process.hrtime.bigint() / 1000n) / 1000;
}

/** Writes until the acknowledged bytes reach `untilBytes`; false if the run must stop. */
async function growTo(load: Load, untilBytes: number, deadline: number): Promise<boolean> {
  let lastAcked = load.acked;
  let lastProgress = performance.now();
  while (load.ackedBytes < untilBytes) {
    await pause(50);
    const now = performance.now();
    if (load.acked > lastAcked) {
      lastAcked = load.acked;
      lastProgress = now;
    }
    if (now > deadline || now - lastProgress > stuckMs) return false;
  }
  return true;
}

/**
 * Restarts `follower` and waits until it has applied the leader's commit index; `ready` is called
 * when its API answers (what the catch-up measures starts there).
 */
async function catchUp(
  c: LocalCluster,
  probe: GrowthProbe,
  leader: string,
  follower: string,
  ready: () => void,
) {
  const leaderStatus = (await c.statuses()).find((s) => s.id === leader);
  const startedAt = performance.now();
  await c.start(follower, 120_000);
  const readyAt = performance.now();
  ready();
  const target = leaderStatus?.commitIndex ?? 0;
  const received = async () => (await c.statuses()).find((s) => s.id === follower);
  const first = (await received())?.transport;
  const before = first?.receivedBytes ?? 0;
  const leaderBefore = (await c.statuses()).find((s) => s.id === leader)?.transport;
  const payloadBefore = await payloadBytesSent(c, leader);
  const cpuUs = () =>
    Promise.all(c.ids.map(async (id) => [id, await processCpuUs(c.pid(id) ?? -1)] as const));
  const cpuBefore = new Map(await cpuUs());
  probe.takeMaxStallMs();
  // When the follower's commit index reached the leader's snapshot before its applied index did:
  // the last chunk was in, and the final fsync and the restore were still to come.
  const leaderSnapshot = leaderStatus?.snapshotIndex ?? Number.POSITIVE_INFINITY;
  let snapshotReceivedAt: number | null = null;
  for (;;) {
    const status = await received();
    const now = performance.now();
    if (
      snapshotReceivedAt === null &&
      status !== undefined &&
      status.commitIndex >= leaderSnapshot &&
      status.appliedIndex < leaderSnapshot
    ) {
      snapshotReceivedAt = now;
    }
    if (status !== undefined && status.appliedIndex >= target) {
      const bytes = status.transport.receivedBytes - before;
      const ms = Math.round(now - readyAt);
      const leaderAfter = (await c.statuses()).find((s) => s.id === leader)?.transport;
      const payloadAfter = await payloadBytesSent(c, leader);
      const cpuAfter = await cpuUs();
      return {
        bytes,
        ms,
        megabytesPerSec: Math.round((bytes / MB / (ms / 1000)) * 10) / 10,
        // The state caught up with per second: unlike the bytes received, never raised by resends.
        // Null when no snapshot was sent meanwhile (the follower caught up from the log, or while
        // it was starting).
        stateMegabytesPerSec:
          leaderStatus === undefined ||
          payloadAfter.installSnapshot <= payloadBefore.installSnapshot
            ? null
            : Math.round((leaderStatus.stateBytes / MB / (ms / 1000)) * 10) / 10,
        maxLoopStallMs: probe.takeMaxStallMs(),
        // From ready to the last chunk received; the rest of `ms` is the fsync, restore, apply.
        snapshotReceivedMs:
          snapshotReceivedAt === null ? null : Math.round(snapshotReceivedAt - readyAt),
        startMs: Math.round(readyAt - startedAt),
        snapshotIndex: status.snapshotIndex,
        leaderSnapshotIndex: leaderStatus?.snapshotIndex ?? null,
        // Datagrams the follower dropped on arrival, and the leader's sends its socket refused.
        inboundDropped: status.transport.inboundDropped - (first?.inboundDropped ?? 0),
        leaderSendDropped:
          leaderAfter === undefined || leaderBefore === undefined
            ? null
            : leaderAfter.sendDropped - leaderBefore.sendDropped,
        // What the leader sent meanwhile, snapshot chunks and entries apart (no writes run then).
        leaderPayloadBytes: {
          installSnapshot: payloadAfter.installSnapshot - payloadBefore.installSnapshot,
          appendEntries: payloadAfter.appendEntries - payloadBefore.appendEntries,
          // Of the snapshot's bytes, those sent again (gaps filled, resends after a silence).
          installSnapshotResent:
            payloadAfter.installSnapshotResent - payloadBefore.installSnapshotResent,
        },
        cpuMsByServer: Object.fromEntries(
          cpuAfter.map(([id, us]) => [id, Math.round((us - (cpuBefore.get(id) ?? 0)) / 1000)]),
        ),
      };
    }
    if (now - readyAt > catchUpLimitMs) {
      return {
        bytes: null,
        ms: null,
        megabytesPerSec: null,
        maxLoopStallMs: probe.takeMaxStallMs(),
      };
    }
    await pause(20);
  }
}

/**
 * The leader's entry and snapshot bytes sent so far, by message type, and the snapshot bytes it
 * sent again (GET /metrics).
 */
async function payloadBytesSent(c: LocalCluster, id: string) {
  const text = await fetch(`${c.url(id)}/metrics`, { signal: AbortSignal.timeout(5000) })
    .then((response) => response.text())
    .catch(() => "");
  const sent = (type: string) => {
    const line = new RegExp(
      `^flotilla_payload_bytes_sent_total\\{[^}]*type="${type}"[^}]*\\} (\\S+)$`,
      "m",
    );
    return Number(line.exec(text)?.[1] ?? 0);
  };
  const resent = /^flotilla_snapshot_bytes_resent_total\{[^}]*\} (\S+)$/m.exec(text);
  return {
    installSnapshot: sent("installSnapshot"),
    appendEntries: sent("appendEntries"),
    installSnapshotResent: Number(resent?.[1] ?? 0),
  };
}

/** Stalls as "b 52.1 @ 123456789", for finding them in a CPU profile's timeline. */
function listed(stalls: readonly { id: string; ms: number; monotonicMs: number }[]): string {
  return stalls.map(({ id, ms, monotonicMs }) => `${id} ${ms} @ ${monotonicMs}`).join(", ");
}

/**
 * The stalls of each window (the phases, then the catch-up from `catchUpFromMs`; each ends at its
 * `windowEnds`) and what they were made of; printed, and returned for the JSON line.
 */
async function causesByWindow(
  stallDir: string,
  pids: ReadonlyMap<number, string>,
  fromMs: number,
  windowEnds: readonly number[],
  catchUpFromMs: number | null,
): Promise<StallCauses[]> {
  const phaseCount = windowEnds.length - 1;
  await pause(300); // the servers' last records (written every 250 ms)
  const servers = await readStallRecords(stallDir, pids);
  return windowEnds.map((endMs, i) => {
    const startMs =
      i === 0
        ? fromMs
        : i === phaseCount
          ? (catchUpFromMs ?? endMs)
          : (windowEnds[i - 1] as number);
    const stalls = attributeStalls(servers, startMs, endMs);
    const causes = stallCauses(stalls);
    const name = i < phaseCount ? `phase ${i + 1}` : "catch-up";
    console.log(`stall causes, ${name}: ${describeCauses(causes)}`);
    const long = stalls.filter((stall) => stall.ms >= 50).map(describeStall);
    if (long.length > 0) console.log(`  >= 50 ms: ${long.join(", ")}`);
    return causes;
  });
}

/** Copies every server's log into `logDir` (created if missing). */
async function keepLogs(c: LocalCluster, logDir: string): Promise<void> {
  await mkdir(logDir, { recursive: true });
  for (const id of ids) await copyFile(c.logFile(id), join(logDir, `${id}.log`)).catch(() => {});
}

export async function main(argv: readonly string[]): Promise<void> {
  const s = parseSettings(argv);
  if (s === "help") {
    console.log(usage);
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), "flotilla-bench-growth-"));
  const profile = s.profileDir === null ? [] : ["--cpu-prof", `--cpu-prof-dir=${s.profileDir}`];
  const stallDir = s.stallCauses ? join(dir, "stall-causes") : null;
  if (stallDir !== null) {
    await mkdir(stallDir);
    process.env.FLOTILLA_BENCH_STALL_DIR = stallDir;
  }
  const preload = stallDir === null ? [] : ["--import", "tsx", "--import", stallPreload];
  const nodeArgs = [...profile, ...preload, ...s.nodeArgs];
  const c = await LocalCluster.create({ ids, dir, serverArgs: s.serverArgs, nodeArgs });
  let probe: GrowthProbe | null = null;
  let writers: ReturnType<typeof startWriters> | null = null;
  try {
    await Promise.all(ids.map((id) => c.start(id, 120_000)));
    // Each server process by pid, and when each phase (then the catch-up) ended: --stall-causes.
    const pids = new Map(ids.map((id) => [c.pid(id) ?? -1, id]));
    const windowEnds: number[] = [];
    // The catch-up's window starts when the restarted follower answers, as the probe's does: its
    // start-up (compiling the sources, replaying its log) is not what is measured.
    let catchUpFromMs: number | null = null;
    const leader = await c.waitForLeader(60_000);
    const follower = ids.find((id) => id !== leader) as string;
    probe = new GrowthProbe(c);
    await probe.scrape();
    probe.takeMaxStallMs(); // start-up (compiling the sources) is not what is measured
    const deadline = performance.now() + s.timeLimitMs;
    const writesStartedMs = monotonicMs();
    writers = startWriters(c.urls, s);
    const { load } = writers;
    const phases: Phase[] = [];
    let completed = true;
    for (let p = 0; p < s.phases && completed; p += 1) {
      if (p === Math.floor(s.phases / 2)) {
        await c.kill(follower, "SIGKILL");
        console.log(`phase ${p + 1}: follower ${follower} killed`);
      }
      const startedAt = performance.now();
      const ackedBefore = load.acked;
      completed = await growTo(load, (s.stateBytes * (p + 1)) / s.phases, deadline);
      const seconds = (performance.now() - startedAt) / 1000;
      windowEnds.push(monotonicMs());
      const stalls = probe.stalls.splice(0);
      const phase = {
        opsPerSec: Math.round((load.acked - ackedBefore) / seconds),
        maxLoopStallMs: probe.takeMaxStallMs(),
        mb: Math.round(load.ackedBytes / MB),
      };
      phases.push(phase);
      console.log(
        `phase ${p + 1}/${s.phases}: ${phase.opsPerSec} writes/s, longest stall ${phase.maxLoopStallMs} ms, ${phase.mb} MB acknowledged${completed ? "" : " (stopped: no progress or time limit)"}`,
      );
      if (stalls.length > 0)
        console.log(`  stalls >= 40 ms (server, ms, monotonic ms): ${listed(stalls)}`);
    }
    load.done = true;
    await writers.running;
    const leaderNow = await c.waitForLeader(60_000).catch(() => null);
    // Writes stopped early (time limit, no progress) may have ended before the follower was killed.
    const caughtUp =
      leaderNow === null || c.isRunning(follower)
        ? null
        : await catchUp(c, probe, leaderNow, follower, () => {
            catchUpFromMs = monotonicMs();
          });
    console.log(`catch-up of ${follower}: ${JSON.stringify(caughtUp)}`);
    pids.set(c.pid(follower) ?? -1, follower);
    windowEnds.push(monotonicMs());
    const catchUpStalls = probe.stalls.splice(0);
    if (catchUpStalls.length > 0) {
      console.log(`  stalls >= 40 ms (server, ms, monotonic ms): ${listed(catchUpStalls)}`);
    }
    await probe.scrape();
    const causes =
      stallDir === null
        ? null
        : await causesByWindow(stallDir, pids, writesStartedMs, windowEnds, catchUpFromMs);
    const leaderStatus = leaderNow === null ? undefined : probe.statuses.get(leaderNow);
    const stateBytes = leaderStatus?.stateBytes ?? load.ackedBytes;
    const report = {
      stateBytes,
      phases: phases.map(({ opsPerSec, maxLoopStallMs }) => ({ opsPerSec, maxLoopStallMs })),
      leaderChanges: Math.max(0, probe.leaderTerms.size - 1),
      catchUp: caughtUp,
      peakRssMB: Math.round(probe.peakRssBytes / MB),
      peakRssOverState: Math.round((probe.peakRssBytes / Math.max(1, stateBytes)) * 100) / 100,
      peakRssMBByServer: Object.fromEntries(
        [...probe.peakRssBytesById].map(([id, bytes]) => [id, Math.round(bytes / MB)]),
      ),
      // What held each server's memory at the scrape that saw its largest resident set.
      memoryAtPeakRss: Object.fromEntries(
        [...probe.memoryAtPeakById].map(([id, m]) => [id, { ...m, rssMB: Math.round(m.rssMB) }]),
      ),
      ...(causes === null ? {} : { stallCauses: causes }),
      completed,
      writes: { acknowledged: load.acked, failed: load.failed },
      settings: { ...s, stateBytes: undefined, stateMB: s.stateBytes / MB },
    };
    console.log(JSON.stringify(report));
  } finally {
    if (writers !== null) writers.load.done = true;
    await probe?.stop();
    // A profile is written when the process exits on its own: stop the servers cleanly first.
    if (s.profileDir !== null) await Promise.all(ids.map((id) => c.kill(id, "SIGTERM")));
    await c.destroy();
    if (s.logDir !== null) await keepLogs(c, s.logDir);
    await rm(dir, { recursive: true, force: true });
  }
}
