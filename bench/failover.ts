// `pnpm bench failover`: how long a leader fault costs a client of examples/kv. Three kv-server
// processes on loopback (UDP between them, file storage, default timeouts), one client writing
// continuously (KvClient, a fresh key per write, retryUnknownWrites since each key is written by
// it alone). Per trial, the current leader is
//
//   kill       SIGKILLed (restarted on its data afterwards),
//   stop       SIGSTOPped (SIGCONT afterwards),
//   partition  cut off from both followers (the servers' fault injection, POST /admin/partition;
//              healed afterwards),
//   transfer   sent SIGTERM: a planned stop, which hands leadership to a follower before the
//              process exits (examples/kv/src/hand-over.ts; restarted on its data afterwards),
//
// and the trial measures the time from the fault to the first acknowledged write that the client
// issued after the fault (a write already in flight at the fault does not count: a conservative
// bound, it adds up to one write's latency). Where that time goes comes from the servers' logs:
// when a follower first campaigned (`detectMs`: its election timer ran out, or TimeoutNow came)
// and when the next leader took office (`electedMs`); the rest is the new leader's first commit
// and the client finding it. At the end every acknowledged write is read back; `lostWrites`
// counts those missing. Every process is killed by pid; data lives in one temporary directory,
// removed at the end. The trials stop early (fewer than asked, said in `trials`) once
// --time-limit-s has passed. The last line is one JSON object (docs/benchmarks.md).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { LocalCluster, pause } from "../examples/kv/src/local-cluster.js";
import type { LogRecord } from "../examples/kv/src/log-records.js";
import { countLost, startWriter, type Writer } from "./kv-writers.js";

const ids = ["a", "b", "c"];
const kinds = ["kill", "stop", "partition", "transfer"] as const;
type Kind = (typeof kinds)[number];
/** A trial with no acknowledged write this long after its fault is recorded at this bound. */
const trialLimitMs = 30_000;

/** Resolves with the time from `faultAt` to the first write issued after it and acknowledged. */
async function recovery(writer: Writer, faultAt: number): Promise<number> {
  for (;;) {
    let first = Number.POSITIVE_INFINITY;
    for (const { issuedAt, ackedAt } of writer.acked.values()) {
      if (issuedAt >= faultAt && ackedAt < first) first = ackedAt;
    }
    if (first !== Number.POSITIVE_INFINITY) return first - faultAt;
    if (performance.now() - faultAt > trialLimitMs) return trialLimitMs;
    await pause(2);
  }
}

/** One trial: which node led, when the fault came (epoch ms, as in the logs), what it cost. */
type Trial = {
  readonly kind: Kind;
  readonly leader: string;
  readonly faultEpochMs: number;
  readonly recoveryMs: number;
};

async function trial(c: LocalCluster, writer: Writer, kind: Kind): Promise<Trial> {
  const leader = await c.waitForLeader(60_000);
  const followers = ids.filter((id) => id !== leader);
  // The writer is running at full speed against this leader before the fault.
  const before = writer.acked.size;
  const readyBy = performance.now() + trialLimitMs;
  while (writer.acked.size < before + 20 && performance.now() < readyBy) await pause(5);
  // The servers' log records carry the wall clock; performance.timeOrigin may drift from it.
  const faultEpochMs = Date.now();
  const faultAt = performance.now();
  if (kind === "kill") c.signal(leader, "SIGKILL");
  else if (kind === "stop") c.signal(leader, "SIGSTOP");
  else if (kind === "transfer") c.signal(leader, "SIGTERM");
  else await c.partition(leader, followers);
  const ms = await recovery(writer, faultAt);
  if (kind === "kill") {
    await c.kill(leader); // reaps it (by pid) before the restart
    await c.start(leader, 60_000);
  } else if (kind === "transfer") {
    await c.exited(leader); // it stops by itself once it handed over
    await c.start(leader, 60_000);
  } else if (kind === "stop") {
    c.signal(leader, "SIGCONT");
  } else {
    await c.partition(leader, []);
  }
  await pause(500); // let the old leader rejoin as a follower before the next fault
  return { kind, leader, faultEpochMs, recoveryMs: ms };
}

/**
 * From the servers' logs: how long after the fault another node first campaigned, and took
 * office. Null when its log has no such record (a trial ended by the time limit, say).
 */
function phases(trial: Trial, records: readonly LogRecord[]) {
  // The earliest such record of any node (`records` holds each node's log in turn).
  const after = (msgs: readonly string[]) => {
    const times = records
      .filter(
        (r) => r.node !== trial.leader && r.time >= trial.faultEpochMs && msgs.includes(r.msg),
      )
      .map((r) => r.time);
    return times.length === 0 ? null : Math.min(...times) - trial.faultEpochMs;
  };
  return {
    detectMs: after(["pre-vote started", "election started"]),
    electedMs: after(["became leader"]),
  };
}

function extraElections(trials: readonly Trial[], records: readonly LogRecord[]): number {
  const from = trials[0]?.faultEpochMs ?? Number.POSITIVE_INFINITY;
  const elected = records.filter((r) => r.msg === "became leader" && r.time >= from).length;
  return Math.max(0, elected - trials.length);
}

/** Nearest-rank percentile of `values` (p 0.5: the lower median). */
function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] ?? 0;
}

function summary(trials: readonly Trial[], records: readonly LogRecord[]) {
  const ms = (values: readonly (number | null)[]) => {
    const sorted = values.filter((v): v is number => v !== null).sort((x, y) => x - y);
    return {
      median: Math.round(percentile(sorted, 0.5)),
      p90: Math.round(percentile(sorted, 0.9)),
    };
  };
  const recovery = trials.map((t) => t.recoveryMs);
  const split = trials.map((t) => phases(t, records));
  const total = ms(recovery);
  return {
    medianMs: total.median,
    p90Ms: total.p90,
    maxMs: Math.round(Math.max(0, ...recovery)),
    // Medians of the phases, from the servers' logs.
    detectMs: ms(split.map((p) => p.detectMs)).median,
    electedMs: ms(split.map((p) => p.electedMs)).median,
  };
}

export async function main(argv: readonly string[]): Promise<void> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      trials: { type: "string", default: "10" },
      "time-limit-s": { type: "string", default: "600" },
      "server-args": { type: "string", default: "" },
    },
  });
  const trials = Number(values.trials);
  if (!Number.isSafeInteger(trials) || trials < 1) throw new Error("--trials: a positive integer");
  const limitMs = Number(values["time-limit-s"]) * 1000;
  if (!(limitMs > 0)) throw new Error("--time-limit-s: a positive number");
  const startedAt = performance.now();
  const dir = await mkdtemp(join(tmpdir(), "flotilla-bench-failover-"));
  const serverArgs = (values["server-args"] ?? "").split(/\s+/).filter((arg) => arg !== "");
  const c = await LocalCluster.create({ ids, dir, faultInjection: true, serverArgs });
  let writer: Writer | null = null;
  try {
    await Promise.all(ids.map((id) => c.start(id, 60_000)));
    await c.waitForLeader(60_000);
    writer = startWriter(c.urls);
    const done: Trial[] = [];
    // Interleaved, so a slow stretch of the (shared) machine spreads over every kind.
    let rounds = 0;
    while (rounds < trials && performance.now() - startedAt < limitMs) {
      for (const kind of kinds) {
        const result = await trial(c, writer, kind);
        done.push(result);
        console.log(
          `trial ${rounds + 1}/${trials} ${kind}: next acknowledged write ${Math.round(result.recoveryMs)} ms after the fault`,
        );
      }
      rounds += 1;
    }
    writer.done = true;
    await writer.running;
    const lostWrites = await countLost(c.urls, [writer]);
    const records = (await Promise.all(ids.map((id) => c.logRecords(id)))).flat();
    for (const t of done) {
      const { detectMs, electedMs } = phases(t, records);
      console.log(
        `${t.kind} of leader ${t.leader}: a campaign after ${detectMs ?? "-"} ms, a new leader after ${electedMs ?? "-"} ms, the next write after ${Math.round(t.recoveryMs)} ms`,
      );
    }
    const of = (kind: Kind) =>
      summary(
        done.filter((t) => t.kind === kind),
        records,
      );
    const report = {
      trials: rounds,
      kill: of("kill"),
      stop: of("stop"),
      partition: of("partition"),
      transfer: of("transfer"),
      // Leaders elected during the trials beyond the one each fault calls for: elections the
      // timeouts caused by themselves (a stalled leader taken for a dead one), or split votes.
      extraElections: extraElections(done, records),
      acknowledgedWrites: writer.acked.size,
      failedWrites: writer.failures,
      lostWrites,
    };
    for (const kind of kinds) {
      const { medianMs, p90Ms, maxMs, detectMs, electedMs } = report[kind];
      console.log(
        `${kind.padEnd(10)} median ${medianMs} ms, p90 ${p90Ms} ms, max ${maxMs} ms over ${rounds} trials (median: a campaign ${detectMs} ms, a new leader ${electedMs} ms after the fault)`,
      );
    }
    console.log(JSON.stringify(report));
  } finally {
    if (writer !== null) writer.done = true;
    await c.destroy();
    await rm(dir, { recursive: true, force: true });
  }
}
