// Issue 12, multi-process: real kv-server processes on loopback (UDP between them, files on disk)
// change their membership under concurrent clients. A 3-node cluster grows to 5, its leader is
// SIGKILLed, the dead node is replaced by a new one following examples/kv/README.md's recipe step
// by step (the same `kv` and `kv-server` command lines), and the cluster shrinks back to 3. The
// clients' history must be linearizable (@flotilla/sim's checker), every acknowledged write must
// be readable at the end, and the remaining replicas must agree. Every process started here is
// killed by pid in afterEach. Time only bounds waits; no assertion is about speed.

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkLinearizability, type HistoryOperation } from "@flotilla/sim";
import { Prng } from "@flotilla/transport-memory";
import { afterEach, describe, expect, it } from "vitest";
import { KvClient } from "../src/client.js";
import { LocalCluster, pause } from "../src/local-cluster.js";
import { readableLog } from "../src/log-records.js";
import { record, runClient, settledDigests } from "./history.js";
import { runScript } from "./run-script.js";

let cluster: LocalCluster | null = null;
let dir: string | null = null;

afterEach(async (context) => {
  const failed = context.task.result?.state === "fail";
  if (failed && cluster !== null) {
    // What each server said, to tell a slow machine from a wrong answer.
    for (const id of cluster.ids) {
      const tail = readableLog(await cluster.readLog(id))
        .slice(-25)
        .join("\n");
      console.log(`--- ${id}'s log ends:\n${tail}`);
    }
  }
  await cluster?.destroy();
  if (failed && process.env.FLOTILLA_KEEP_DATA === "1") console.log(`kept ${dir}`);
  else if (dir !== null) await rm(dir, { recursive: true, force: true });
  cluster = null;
  dir = null;
});

/**
 * A writer of keys nobody else writes, one after another: every write it saw acknowledged must be
 * readable at the end (a PUT of a fresh key is idempotent, so it may retry unknown outcomes).
 */
async function runWriter(servers: readonly string[], acked: string[], stop: { done: boolean }) {
  const client = new KvClient({ servers, retryUnknownWrites: true, deadlineMs: 5000 });
  for (let n = 0; !stop.done; n++) {
    try {
      await client.put(`w${n}`, `value ${n}`);
      acked.push(`w${n}`);
    } catch {
      await pause(20); // not acknowledged: it may or may not be there, nothing to check
    }
  }
}

/** The CLI, as a person following the README would run it, against the given servers. */
function kv(servers: readonly string[], ...args: string[]) {
  return runScript("cli.ts", ["--servers", servers.join(","), ...args], {}, 90_000);
}

describe("kv membership changes as processes", () => {
  it("grow 3 -> 5, lose the leader, replace it by the README's recipe, shrink to 3: linearizable, no acknowledged write lost", async () => {
    const seed = Number(process.env.FLOTILLA_SEED ?? Date.now() % 1_000_000);
    const prng = new Prng(seed);
    dir = await mkdtemp(join(tmpdir(), "flotilla-kv-member-"));
    // Frequent snapshots with a short tail: a node added later may catch up by InstallSnapshot.
    const serverArgs = ["--snapshot-every", "50", "--snapshot-trailing", "20"];
    const c = await LocalCluster.create({
      ids: ["a", "b", "c"],
      joiners: ["d", "e", "f"],
      dir,
      serverArgs,
    });
    cluster = c;
    // d and e start with the others: they ask a, b or c for the addresses and wait to be added.
    await Promise.all(["a", "b", "c", "d", "e"].map((id) => c.start(id)));
    await c.waitForLeader(30_000);

    const history: HistoryOperation[] = [];
    const acked: string[] = [];
    const stop = { done: false };
    const workers = [
      ...Array.from({ length: 3 }, (_, i) =>
        runClient(c.urls, `c${i}`, prng.fork(`client ${i}`), history, stop),
      ),
      runWriter(c.urls, acked, stop),
    ];
    const admin = new KvClient({ servers: c.urls, requestTimeoutMs: 60_000, deadlineMs: 60_000 });
    const steps: string[] = [];
    const t0 = performance.now();
    const step = (what: string) =>
      steps.push(`${what} at ${Math.round(performance.now() - t0)} ms`);
    let dead = "";
    let removed: string[] = [];
    try {
      // Grow to five voters (each added as a learner, promoted once caught up).
      for (const id of ["d", "e"]) {
        const added = await admin.addMember(id, { raft: c.raftAddress(id), api: c.apiAddress(id) });
        expect(added.role).toBe("voter");
      }
      expect((await admin.members()).membership.voters).toEqual(["a", "b", "c", "d", "e"]);
      step("grew to a,b,c,d,e");

      dead = await c.waitForLeader(30_000);
      await c.kill(dead, "SIGKILL");
      step(`SIGKILL ${dead} (leader)`);
      const live = c.ids.filter((id) => c.isRunning(id)).map((id) => c.url(id));

      // The README's recipe for a dead node, step by step.
      // 1. See which member is gone: `kv status` shows it unreachable, `kv member list` a member.
      // 2. Start the new server with --join and the address of any live member. (Both at once
      // here: each command takes seconds of tsx start-up on a loaded machine.)
      const [listed] = await Promise.all([kv(live, "member", "list"), c.start("f")]);
      expect(listed.code, `${listed.stderr}; ${steps}`).toBe(0);
      expect(listed.stdout).toMatch(new RegExp(`^${dead} +voter `, "m"));
      step("listed the members and started f");
      // 3. Add it (a voter once it has caught up), 4. remove the dead one.
      const raft = `--raft=${c.raftAddress("f")}`;
      const added = await kv(live, "member", "add", "f", raft, `--api=${c.apiAddress("f")}`);
      expect(added, `${added.stderr}; ${steps}`).toMatchObject({
        code: 0,
        stdout: "OK: f is a voter\n",
      });
      step("added f");
      const gone = await kv(live, "member", "remove", dead);
      expect(gone, `${gone.stderr}; ${steps}`).toMatchObject({
        code: 0,
        stdout: `OK: ${dead} was removed\n`,
      });
      step(`replaced ${dead} by f`);

      // Shrink to three: two of the live original or added voters go (the leader may be one).
      removed = ["d", "e", "c", "b", "a"].filter((id) => id !== dead).slice(0, 2);
      for (const id of removed) await admin.removeMember(id);
      step(`removed ${removed.join(",")}`);
      await pause(1000);
    } finally {
      stop.done = true;
      await Promise.all(workers);
      step("clients stopped");
    }
    const voters = ["a", "b", "c", "d", "e", "f"].filter(
      (id) => id !== dead && !removed.includes(id),
    );
    const view = await admin.members();
    expect(view.membership).toEqual({ voters, learners: [] });
    for (const id of removed) await c.kill(id, "SIGKILL");

    // Final reads pin the last values; then every acknowledged write must be there.
    const reader = new KvClient({ servers: c.urls, deadlineMs: 20_000 });
    for (const key of ["x", "y", "z"]) await record(reader, "final", { op: "get", key }, history);
    const lost: string[] = [];
    for (let i = 0; i < acked.length; i += 20) {
      const keys = acked.slice(i, i + 20);
      const values = await Promise.all(keys.map((key) => reader.get(key)));
      lost.push(...keys.filter((_, j) => values[j] === null));
    }
    step("read back every acknowledged write");

    const context = `seed ${seed} (FLOTILLA_SEED=${seed} reruns its choices); ${steps.join("; ")}`;
    expect(lost, context).toEqual([]);
    const completed = history.filter((op) => op.outcome === "ok").length;
    const result = checkLinearizability(history);
    step("checked the history");
    expect(
      result.result,
      result.result === "violation" ? `${result.explanation}\n${context}` : context,
    ).toBe("ok");
    expect(completed, context).toBeGreaterThan(30);
    expect(acked.length, context).toBeGreaterThan(10);
    const digests = await settledDigests(c, voters.length);
    expect(new Set(digests).size, `${context}; digests ${digests}`).toBe(1);
    console.log(
      `seed ${seed}; ${steps.join("; ")}; ${history.length} operations, ${completed} completed, ${acked.length} acknowledged writes`,
    );
  }, 400_000); // ~230 s at load 30-45 on 2 cores (tsx start-up of 6 servers and 3 CLI calls)
});
