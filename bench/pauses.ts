// `pnpm bench pauses`: pauses shorter than the election timeout must not change the leader
// (issue 10). Three examples/kv server processes on loopback (UDP between them, file storage,
// default timeouts: a 10 ms tick, an election timeout of 200 ms), --writers closed-loop writers.
// The current leader is frozen with SIGSTOP for each of --pause-ms in turn, --rounds times, and
// thawed with SIGCONT; then a follower the same way. A freeze is what a long garbage collection,
// a slow fsync on the event loop or a starved CPU look like to the other nodes, only longer and
// harder. Between freezes the writers run for --gap-ms. Measured, from the servers' logs:
//
//   leaderChanges   leaders elected after the first (each a new term)
//   campaigns       pre-votes and elections started (a PreVote that fails changes no term, but
//                   says a timer ran out)
//
// and from the writers: writes acknowledged, writes failed, and at the end the acknowledged
// writes missing when read back (lostWrites). The expectation is 0 leader changes, 0 campaigns,
// 0 failed and 0 lost writes for any pause below the election timeout minus a heartbeat interval
// and a scheduling margin. Every process is killed by pid; data lives in one temporary directory,
// removed at the end. The last line is one JSON object (docs/benchmarks.md).
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs, promisify } from "node:util";
import { LocalCluster, pause } from "../examples/kv/src/local-cluster.js";
import type { LogRecord } from "../examples/kv/src/log-records.js";
import { countLost, startWriter, type Writer } from "./kv-writers.js";

const ids = ["a", "b", "c"];
const run = promisify(execFile);

type Freeze = {
  readonly role: "leader" | "follower";
  readonly node: string;
  readonly ms: number;
  /** How long it really lasted, in ms (the freezer's own clock). */
  readonly realMs: number;
  /** When the freeze began, epoch ms (the servers' log records carry the wall clock). */
  readonly atEpochMs: number;
};

function positiveIntegers(flag: string, text: string): number[] {
  const values = text.split(",").map(Number);
  if (values.length === 0 || !values.every((v) => Number.isSafeInteger(v) && v > 0)) {
    throw new Error(`--${flag}: comma-separated positive integers, got ${JSON.stringify(text)}`);
  }
  return values;
}

// The freezer: SIGSTOP, a timer, SIGCONT, and on stdout when the freeze began (epoch ms, the
// clock of the servers' log records) and how long it really lasted. It runs in
// a process of its own because this one runs the writers: under 64 of them its timers fire tens
// of milliseconds late, which turned a 150 ms freeze into 240 (an election, rightly).
const freezer = `
const [pid, ms] = process.argv.slice(1).map(Number);
const from = process.hrtime.bigint();
const atEpochMs = Date.now();
process.kill(pid, "SIGSTOP");
setTimeout(() => {
  process.kill(pid, "SIGCONT");
  process.stdout.write(atEpochMs + " " + Number(process.hrtime.bigint() - from) / 1e6);
}, ms);`;

/**
 * Freezes `node` for `ms` (SIGSTOP, then SIGCONT, by pid); resolves with when it began and its
 * real length.
 */
async function freeze(
  c: LocalCluster,
  node: string,
  ms: number,
): Promise<{ atEpochMs: number; realMs: number }> {
  const pid = c.pid(node);
  if (pid === null) throw new Error(`node ${node} is not running`);
  const { stdout } = await run(process.execPath, ["-e", freezer, String(pid), String(ms)], {
    timeout: 60_000,
  });
  const [atEpochMs, realMs] = stdout.split(" ").map(Number);
  if (!(atEpochMs !== undefined && atEpochMs > 0 && realMs !== undefined && realMs > 0)) {
    throw new Error(`the freezer of ${node} printed ${JSON.stringify(stdout)}`);
  }
  return { atEpochMs, realMs };
}

/** The records of `msgs` at or after `fromEpochMs`, in time order. */
function recordsOf(records: readonly LogRecord[], msgs: readonly string[], fromEpochMs: number) {
  return records
    .filter((r) => r.time >= fromEpochMs && msgs.includes(r.msg))
    .sort((x, y) => x.time - y.time);
}

export async function main(argv: readonly string[]): Promise<void> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      "pause-ms": { type: "string", default: "50,100,150,180" },
      rounds: { type: "string", default: "5" },
      writers: { type: "string", default: "8" },
      "gap-ms": { type: "string", default: "300" },
      "server-args": { type: "string", default: "" },
    },
  });
  const pauses = positiveIntegers("pause-ms", values["pause-ms"] ?? "");
  const [rounds] = positiveIntegers("rounds", values.rounds ?? "");
  const [writerCount] = positiveIntegers("writers", values.writers ?? "");
  const [gapMs] = positiveIntegers("gap-ms", values["gap-ms"] ?? "");
  if (rounds === undefined || writerCount === undefined || gapMs === undefined) return;
  const dir = await mkdtemp(join(tmpdir(), "flotilla-bench-pauses-"));
  const serverArgs = (values["server-args"] ?? "").split(/\s+/).filter((arg) => arg !== "");
  const c = await LocalCluster.create({ ids, dir, serverArgs });
  const writers: Writer[] = [];
  try {
    await Promise.all(ids.map((id) => c.start(id, 60_000)));
    const firstLeader = await c.waitForLeader(60_000);
    for (let w = 0; w < writerCount; w++) writers.push(startWriter(c.urls, `w${w}-`));
    await pause(gapMs);
    const fromEpochMs = Date.now();
    const done: Freeze[] = [];
    for (const role of ["leader", "follower"] as const) {
      for (let round = 0; round < rounds; round++) {
        for (const ms of pauses) {
          const leader = await c.waitForLeader(60_000);
          const node = role === "leader" ? leader : (ids.find((id) => id !== leader) as string);
          const { atEpochMs, realMs } = await freeze(c, node, ms);
          done.push({ role, node, ms, realMs, atEpochMs });
          await pause(gapMs);
        }
      }
      console.log(
        `${role}: ${rounds * pauses.length} freezes of ${pauses.join(", ")} ms; writes acknowledged so far ${writers.reduce((n, w) => n + w.acked.size, 0)}`,
      );
    }
    for (const w of writers) w.done = true;
    await Promise.all(writers.map((w) => w.running));
    const lastLeader = await c.waitForLeader(60_000);
    const lostWrites = await countLost(c.urls, writers);
    const records = (await Promise.all(ids.map((id) => c.logRecords(id)))).flat();
    const elected = recordsOf(records, ["became leader"], fromEpochMs);
    const campaigns = recordsOf(records, ["pre-vote started", "election started"], fromEpochMs);
    const steppedDown = recordsOf(records, ["became follower"], fromEpochMs).filter(
      (r) => r.from === "leader",
    );
    for (const r of [...campaigns, ...elected, ...steppedDown].sort((x, y) => x.time - y.time)) {
      const after = done.filter((f) => f.atEpochMs <= r.time).at(-1);
      const cause =
        after === undefined
          ? "before the first freeze"
          : `${r.time - after.atEpochMs} ms after the start of a ${after.realMs.toFixed(1)} ms freeze of ${after.role} ${after.node}`;
      const why = typeof r.reason === "string" ? `, ${r.reason}` : "";
      console.log(`  ${r.node}: ${r.msg} (term ${String(r.term)}${why}), ${cause}`);
    }
    const statuses = await c.statuses();
    const report = {
      pauseMs: pauses,
      freezes: {
        leader: done.filter((f) => f.role === "leader").length,
        follower: done.filter((f) => f.role === "follower").length,
      },
      // The longest real freeze of each asked length (the freezer's timer fires late under load).
      longestRealMs: Object.fromEntries(
        pauses.map((ms) => [
          ms,
          Math.max(...done.filter((f) => f.ms === ms).map((f) => Math.round(f.realMs * 10) / 10)),
        ]),
      ),
      leaderChanges: elected.length,
      campaigns: campaigns.length,
      firstLeader,
      lastLeader,
      terms: [...new Set(statuses.map((s) => s.term))],
      acknowledgedWrites: writers.reduce((n, w) => n + w.acked.size, 0),
      failedWrites: writers.reduce((n, w) => n + w.failures, 0),
      lostWrites,
    };
    console.log(
      `${report.freezes.leader} leader and ${report.freezes.follower} follower freezes: ${report.leaderChanges} leader changes, ${report.campaigns} campaigns; writes ${report.acknowledgedWrites} acknowledged, ${report.failedWrites} failed, ${lostWrites} lost`,
    );
    console.log(JSON.stringify(report));
  } finally {
    for (const w of writers) w.done = true;
    await c.destroy();
    await rm(dir, { recursive: true, force: true });
  }
}
