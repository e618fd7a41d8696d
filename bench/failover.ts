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
// bound, it adds up to one write's latency). At the end every acknowledged write is read back;
// `lostWrites` counts those missing. Every process is killed by pid; data lives in one temporary
// directory, removed at the end. The last line is one JSON object (docs/benchmarks.md).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { KvClient } from "../examples/kv/src/client.js";
import { LocalCluster, pause } from "../examples/kv/src/local-cluster.js";

const ids = ["a", "b", "c"];
const kinds = ["kill", "stop", "partition", "transfer"] as const;
type Kind = (typeof kinds)[number];
/** A trial with no acknowledged write this long after its fault is recorded at this bound. */
const trialLimitMs = 30_000;

type Writer = {
  /** Acknowledged writes: key → when the put was issued and when it was acknowledged. */
  readonly acked: Map<string, { readonly issuedAt: number; readonly ackedAt: number }>;
  failures: number;
  done: boolean;
  readonly running: Promise<void>;
};

function startWriter(urls: readonly string[]): Writer {
  const client = new KvClient({ servers: urls, retryUnknownWrites: true, deadlineMs: 60_000 });
  const writer = { acked: new Map(), failures: 0, done: false } as Omit<Writer, "running">;
  const running = (async () => {
    for (let seq = 0; !writer.done; seq++) {
      const key = `w-${seq}`;
      const issuedAt = performance.now();
      try {
        await client.put(key, `v-${seq}`);
        writer.acked.set(key, { issuedAt, ackedAt: performance.now() });
      } catch {
        writer.failures += 1;
        await pause(10);
      }
    }
  })();
  return Object.assign(writer, { running });
}

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

async function trial(c: LocalCluster, writer: Writer, kind: Kind): Promise<number> {
  const leader = await c.waitForLeader(60_000);
  const followers = ids.filter((id) => id !== leader);
  // The writer is running at full speed against this leader before the fault.
  const before = writer.acked.size;
  const readyBy = performance.now() + trialLimitMs;
  while (writer.acked.size < before + 20 && performance.now() < readyBy) await pause(5);
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
  return ms;
}

function summary(values: readonly number[]) {
  const sorted = [...values].sort((x, y) => x - y);
  const median = sorted[Math.floor((sorted.length - 1) / 2)] ?? 0;
  return { medianMs: Math.round(median), maxMs: Math.round(sorted.at(-1) ?? 0) };
}

/** Reads every acknowledged key back; returns how many are missing or wrong. */
async function countLost(urls: readonly string[], writer: Writer): Promise<number> {
  const reader = new KvClient({ servers: urls, deadlineMs: 60_000 });
  const keys = [...writer.acked.keys()];
  let lost = 0;
  let next = 0;
  const worker = async () => {
    for (let k = next++; k < keys.length; k = next++) {
      const key = keys[k] as string;
      if ((await reader.get(key)) !== `v-${key.slice(2)}`) lost += 1;
    }
  };
  await Promise.all(Array.from({ length: 32 }, worker));
  return lost;
}

export async function main(argv: readonly string[]): Promise<void> {
  const { values } = parseArgs({
    args: [...argv],
    options: { trials: { type: "string", default: "10" } },
  });
  const trials = Number(values.trials);
  if (!Number.isSafeInteger(trials) || trials < 1) throw new Error("--trials: a positive integer");
  const dir = await mkdtemp(join(tmpdir(), "flotilla-bench-failover-"));
  const c = await LocalCluster.create({ ids, dir, faultInjection: true });
  let writer: Writer | null = null;
  try {
    await Promise.all(ids.map((id) => c.start(id, 60_000)));
    await c.waitForLeader(60_000);
    writer = startWriter(c.urls);
    const results = new Map<Kind, number[]>(kinds.map((kind) => [kind, []]));
    // Interleaved, so a slow stretch of the (shared) machine spreads over every kind.
    for (let t = 0; t < trials; t++) {
      for (const kind of kinds) {
        const ms = await trial(c, writer, kind);
        results.get(kind)?.push(ms);
        console.log(
          `trial ${t + 1}/${trials} ${kind}: next acknowledged write ${Math.round(ms)} ms after the fault`,
        );
      }
    }
    writer.done = true;
    await writer.running;
    const lostWrites = await countLost(c.urls, writer);
    const report = {
      trials,
      kill: summary(results.get("kill") ?? []),
      stop: summary(results.get("stop") ?? []),
      partition: summary(results.get("partition") ?? []),
      transfer: summary(results.get("transfer") ?? []),
      acknowledgedWrites: writer.acked.size,
      failedWrites: writer.failures,
      lostWrites,
    };
    for (const kind of kinds) {
      const { medianMs, maxMs } = report[kind];
      console.log(
        `${kind.padEnd(10)} median ${medianMs} ms, max ${maxMs} ms over ${trials} trials`,
      );
    }
    console.log(JSON.stringify(report));
  } finally {
    if (writer !== null) writer.done = true;
    await c.destroy();
    await rm(dir, { recursive: true, force: true });
  }
}
