// Issue 9, as a user meets it: a follower's data directory is wiped while the cluster runs (a
// disk replaced, a volume mounted empty) and the follower restarts with nothing. Three real
// kv-server processes on loopback over UDP with file storage. The leader must say so loudly (a
// log line naming the follower and the indexes, from the `peerLostLog` event), repair the
// follower's log, and serve writes throughout. Every process started here is killed by pid in
// afterEach. Time only bounds waits; no assertion is about speed.

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { KvClient } from "../src/client.js";
import { LocalCluster, pause } from "../src/local-cluster.js";

const ids = ["a", "b", "c"];
let cluster: LocalCluster | null = null;
let dir: string | null = null;

afterEach(async () => {
  await cluster?.destroy();
  if (dir !== null) await rm(dir, { recursive: true, force: true });
  cluster = null;
  dir = null;
});

/** Waits until every node applied the same index and returns their statuses. */
async function settled(c: LocalCluster) {
  const deadline = performance.now() + 15_000;
  for (;;) {
    const statuses = await c.statuses();
    const applied = new Set(statuses.map((s) => s.appliedIndex));
    if (statuses.length === ids.length && applied.size === 1) return statuses;
    if (performance.now() > deadline) {
      throw new Error(
        `replicas did not settle: ${statuses.map((s) => `${s.id}@${s.appliedIndex}`)}`,
      );
    }
    await pause(50);
  }
}

/** The "LOST LOG" lines of every node's log. */
async function lostLogLines(c: LocalCluster): Promise<string[]> {
  const logs = await Promise.all(ids.map((id) => c.readLog(id)));
  return logs.flatMap((log) => log.split("\n").filter((line) => line.includes("LOST LOG")));
}

/**
 * Wipes a follower of the current leader and restarts it; resolves with the leader's report, or
 * null when none came within 10 s (leadership moved meanwhile: a new leader never saw the
 * follower's old acknowledgements, so it has nothing to report).
 */
async function wipeFollower(c: LocalCluster, root: string): Promise<string | null> {
  const leader = await c.waitForLeader();
  const follower = ids.find((id) => id !== leader) as string;
  const before = (await lostLogLines(c)).length;
  // The follower holds (and acknowledged) everything the leader applied so far.
  const applied = (await c.statuses()).find((s) => s.id === leader)?.appliedIndex ?? 0;
  await c.waitForApplied(applied);
  await c.kill(follower, "SIGKILL");
  await rm(join(root, follower), { recursive: true, force: true });
  await c.start(follower);
  const deadline = performance.now() + 10_000;
  while (performance.now() < deadline) {
    const report = (await lostLogLines(c))
      .slice(before)
      .find((l) => l.startsWith(`[kv ${leader}]`));
    if (report !== undefined) return `${follower} ${report}`;
    await pause(50);
  }
  console.log(
    `no report: leader ${leader} follower ${follower}`,
    JSON.stringify(await c.statuses()),
  );
  return null;
}

describe("a kv follower whose data directory is wiped", () => {
  it("is reported by the leader and repaired while the cluster keeps serving writes", async () => {
    const root = await mkdtemp(join(tmpdir(), "flotilla-kv-lost-log-"));
    dir = root;
    const c = await LocalCluster.create({ ids, dir: root });
    cluster = c;
    await Promise.all(ids.map((id) => c.start(id)));
    await c.waitForLeader();
    const client = new KvClient({ servers: c.urls, deadlineMs: 5000 });
    for (let i = 0; i < 30; i++) await client.put(`key-${i}`, `value-${i}`);

    // Writes go on, one after another, through the wipe and the restart; each must succeed.
    const writer = { done: false, written: 30 };
    const writing = (async () => {
      while (!writer.done) {
        await client.put(`key-${writer.written}`, `value-${writer.written}`);
        writer.written++;
      }
    })();
    let report: string | null = null;
    try {
      for (let attempt = 0; attempt < 3 && report === null; attempt++) {
        report = await wipeFollower(c, root);
      }
      await pause(500);
    } finally {
      writer.done = true;
      await writing;
    }

    const logs = (await Promise.all(ids.map((id) => c.readLog(id)))).join("\n");
    expect(report, logs).toMatch(
      /^(\w) \[kv \w\] LOST LOG: \1 had acknowledged the log up to [1-9]\d* but now holds it only to 0 /,
    );
    const statuses = await settled(c);
    expect(new Set(statuses.map((s) => s.digest)).size).toBe(1);
    for (const s of statuses) expect(s.keys).toBe(writer.written);
    expect(await client.get(`key-${writer.written - 1}`)).toBe(`value-${writer.written - 1}`);
    console.log(`${report}; ${writer.written} keys written throughout`);
  }, 60_000);
});
