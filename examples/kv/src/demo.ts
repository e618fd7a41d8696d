// `pnpm demo`: a three-node key-value cluster on this machine, a leader crash, and recovery.
// Every step is printed in plain words; the demo exits 0 only if every check held, and always
// stops the servers it started and removes its temporary directory.

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KvClient } from "./client.js";
import { LocalCluster } from "./local-cluster.js";
import { readableLog } from "./log-records.js";

const ids = ["a", "b", "c"];

function say(text: string): void {
  console.log(text);
}

class DemoFailure extends Error {}

function check(condition: boolean, what: string): void {
  if (!condition) throw new DemoFailure(what);
  say(`   ✓ ${what}`);
}

async function run(cluster: LocalCluster): Promise<void> {
  const started = performance.now();
  say(`1. Starting three servers (a, b, c) as separate processes on 127.0.0.1.`);
  say(
    `   They talk Raft over UDP (authenticated with a random cluster key) and keep their logs in ${cluster.dir}.`,
  );
  await Promise.all(ids.map((id) => cluster.start(id)));
  for (const id of ids) say(`   node ${id}: pid ${cluster.pid(id)}, client API ${cluster.url(id)}`);

  say("\n2. Waiting for the nodes to elect a leader.");
  const leader = await cluster.waitForLeader();
  const firstTerm = await termOf(cluster, leader);
  say(`   node ${leader} is the leader, in term ${firstTerm}.`);

  say("\n3. Writing some keys. Any server accepts a request; followers redirect it to the leader.");
  const client = new KvClient({ servers: cluster.urls });
  const written = new Map<string, string>();
  const fruit = ["apple", "banana", "cherry", "damson", "elderberry", "fig", "grape", "honeydew"];
  for (const [i, value] of fruit.entries()) {
    await client.put(`fruit-${i}`, value);
    written.set(`fruit-${i}`, value);
  }
  say(`   wrote ${written.size} keys: ${[...written].map(([k, v]) => `${k}=${v}`).join(", ")}`);
  const swapped = await client.cas("fruit-0", "apple", "apricot");
  check(swapped, "compare-and-set fruit-0 from apple to apricot succeeded");
  written.set("fruit-0", "apricot");
  const refused = await client.cas("fruit-1", "not-banana", "blueberry");
  check(!refused, "compare-and-set fruit-1 expecting the wrong value was refused");
  await expectAll(client, written, "every key reads back as written");

  say(
    `\n4. Crashing the leader: SIGKILL to node ${leader} (pid ${cluster.pid(leader)}), no chance to clean up.`,
  );
  await cluster.kill(leader, "SIGKILL");
  say(`   node ${leader} is gone.`);

  say("\n5. Waiting for the two survivors to elect a new leader.");
  const crashedAt = performance.now();
  const next = await cluster.waitForLeader();
  say(
    `   node ${next} leads now (elected ${Math.round(performance.now() - crashedAt)} ms after the crash).`,
  );
  const nextTerm = await termOf(cluster, next);
  check(
    nextTerm > firstTerm,
    `the new leader's term (${nextTerm}) is later than the old one's (${firstTerm})`,
  );
  await expectAll(client, written, "every acknowledged write survived the crash");
  for (let i = 0; i < 4; i++) {
    await client.put(`after-crash-${i}`, `value-${i}`);
    written.set(`after-crash-${i}`, `value-${i}`);
  }
  say("   wrote 4 more keys while the old leader is down.");

  say(`\n6. Restarting node ${leader} on its data directory.`);
  await cluster.start(leader);
  say(
    `   node ${leader} is back (pid ${cluster.pid(leader)}); it recovered its log from disk and rejoins as a follower.`,
  );
  const statuses = await cluster.statuses();
  const commit = Math.max(...statuses.map((s) => s.commitIndex));
  const caughtUp = await cluster.waitForApplied(commit);
  const restarted = caughtUp.find((s) => s.id === leader);
  const current = caughtUp.find((s) => s.role === "leader");
  check(
    restarted !== undefined && restarted.appliedIndex >= commit,
    `node ${leader} caught up to index ${commit}`,
  );
  const settled = await cluster.waitForApplied(Math.max(...caughtUp.map((s) => s.appliedIndex)));
  const digests = new Set(settled.map((s) => `${s.appliedIndex}:${s.digest}`));
  check(digests.size === 1, `all three nodes hold the same state (${[...digests][0]})`);
  await expectAll(client, written, `all ${written.size} keys read back through the cluster`);
  say(`   (leader now: ${current?.id ?? "unknown"})`);

  say(
    `\nDone in ${((performance.now() - started) / 1000).toFixed(1)} s: the cluster elected a leader, survived losing it, and the restarted node caught up.`,
  );
}

async function termOf(cluster: LocalCluster, id: string): Promise<number> {
  const status = (await cluster.statuses()).find((s) => s.id === id);
  if (status === undefined) throw new DemoFailure(`node ${id} does not answer`);
  return status.term;
}

async function expectAll(client: KvClient, written: ReadonlyMap<string, string>, what: string) {
  for (const [key, value] of written) {
    const got = await client.get(key);
    if (got !== value)
      throw new DemoFailure(
        `${key} reads ${JSON.stringify(got)}, expected ${JSON.stringify(value)}`,
      );
  }
  check(true, what);
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "flotilla-demo-"));
  const cluster = await LocalCluster.create({ ids, dir });
  let failed = false;
  const interrupt = () => {
    say("\ninterrupted: stopping the servers.");
    void cleanUp().then(() => process.exit(130));
  };
  let cleaning: Promise<void> | null = null;
  const cleanUp = () => {
    cleaning ??= (async () => {
      await cluster.destroy();
      await rm(dir, { recursive: true, force: true });
    })();
    return cleaning;
  };
  process.once("SIGINT", interrupt);
  process.once("SIGTERM", interrupt);
  const watchdog = setTimeout(() => {
    console.error("\nDEMO FAILED: it took longer than 50 s.");
    process.exitCode = 1;
    void cleanUp().then(() => process.exit(1));
  }, 50_000);
  try {
    await run(cluster);
  } catch (error) {
    failed = true;
    console.error(`\nDEMO FAILED: ${(error as Error).message}`);
    for (const id of ids) {
      const tail = readableLog(await cluster.readLog(id)).slice(-6);
      console.error(`--- last lines of node ${id}'s log:\n${tail.join("\n")}`);
    }
  } finally {
    clearTimeout(watchdog);
    say("\nStopping every server started by the demo and removing its temporary directory.");
    await cleanUp();
  }
  process.exitCode = failed ? 1 : 0;
}

await main();
