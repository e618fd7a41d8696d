// The CLI and the HTTP API against real server processes on loopback: redirects from followers,
// exit codes, option errors, the data-directory lock, and graceful shutdown on SIGTERM. Every
// process started here is killed by pid in afterAll.

import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freeUdpPorts, LocalCluster } from "../src/local-cluster.js";
import { runScript } from "./run-script.js";

const ids = ["a", "b", "c"];
let cluster: LocalCluster;
let dir: string;
let follower: string;

const kv = (...args: string[]) =>
  runScript("cli.ts", ["--servers", cluster.url(follower), ...args]);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "flotilla-kv-cli-"));
  // A longer election timeout than the default: a loaded CI machine should not change leaders
  // under the redirect test by accident.
  cluster = await LocalCluster.create({ ids, dir, serverArgs: ["--election-ticks", "30"] });
  await Promise.all(ids.map((id) => cluster.start(id)));
  const leader = await cluster.waitForLeader();
  follower = ids.find((id) => id !== leader) as string;
}, 120_000);

afterAll(async () => {
  await cluster?.destroy();
  await rm(dir, { recursive: true, force: true });
});

describe("kv CLI against a follower (it follows the redirect to the leader)", () => {
  it("puts, gets, compare-and-sets and reports exit codes", async () => {
    expect(await kv("put", "greeting", "hello world")).toMatchObject({ code: 0, stdout: "OK\n" });
    expect(await kv("get", "greeting")).toMatchObject({ code: 0, stdout: "hello world\n" });
    expect(await kv("cas", "greeting", "hello world", "bye")).toMatchObject({ code: 0 });
    expect(await kv("cas", "greeting", "hello world", "again")).toMatchObject({ code: 3 });
    expect(await kv("cas", "fresh", "-", "first")).toMatchObject({ code: 0 });
    expect(await kv("get", "greeting")).toMatchObject({ code: 0, stdout: "bye\n" });
    expect((await kv("get", "nothing-here")).code).toBe(4);
    expect((await kv("put", "only-key")).code).toBe(2);
  }, 120_000);

  it("reads with each --consistency (ReadIndex, lease, through the log)", async () => {
    expect(await kv("put", "reading", "all three")).toMatchObject({ code: 0, stdout: "OK\n" });
    for (const consistency of ["index", "lease", "log"]) {
      const read = await kv("get", "--consistency", consistency, "reading");
      expect(read, consistency).toMatchObject({ code: 0, stdout: "all three\n" });
    }
    expect((await kv("get", "--consistency", "lease", "nothing-here")).code).toBe(4);
  }, 120_000);

  it("lists the members and refuses a membership change by name (exit 1)", async () => {
    const listed = await kv("member", "list");
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(/^leader [abc], term \d+\n/);
    for (const id of ids) {
      const line = new RegExp(
        `^${id} +voter +raft 127\\.0\\.0\\.1:\\d+  api 127\\.0\\.0\\.1:\\d+`,
        "m",
      );
      expect(listed.stdout).toMatch(line);
    }
    const refused = await kv("member", "remove", "zed");
    expect(refused).toMatchObject({ code: 1, stdout: "" });
    expect(refused.stderr).toMatch(/^kv: failed: \S+: UNKNOWN_MEMBER zed is not a member\n$/);
  }, 120_000);

  it("prints every server's view with status", async () => {
    const result = await runScript("cli.ts", ["--servers", cluster.urls.join(","), "status"]);
    expect(result.code).toBe(0);
    expect(result.stdout.match(/ node [abc] /g)?.length).toBe(3);
    expect(result.stdout).toMatch(/ leader +term \d+/);
  }, 120_000);
});

describe("the HTTP API", () => {
  it("redirects a follower's client to the leader with 307 and the leader's address", async () => {
    const leader = await cluster.waitForLeader();
    const other = ids.find((id) => id !== leader) as string;
    // A read through the log is a command: only the leader proposes it.
    const path = "/kv/x?consistency=log";
    const response = await fetch(`${cluster.url(other)}${path}`, { redirect: "manual" });
    expect(response.status).toBe(307);
    const body = (await response.json()) as { leaderUrl: string; retry: string };
    expect(response.headers.get("location")).toBe(`${body.leaderUrl}${path}`);
    expect(body.retry).toBe("safe");
  });

  it("serves a ReadIndex read on a follower, after a write acknowledged by the leader", async () => {
    const leader = await cluster.waitForLeader();
    const put = await fetch(`${cluster.url(leader)}/kv/follower-read`, {
      method: "PUT",
      body: "v1",
    });
    expect(put.status).toBe(200);
    for (const id of ids.filter((other) => other !== leader)) {
      const response = await fetch(`${cluster.url(id)}/kv/follower-read`, { redirect: "manual" });
      expect(response.status).toBe(200);
      expect(response.headers.get("x-flotilla-node")).toBe(id);
      expect(await response.json()).toEqual({ value: "v1" });
    }
  });

  it("rejects a malformed compare-and-set body with 400", async () => {
    const response = await fetch(`${cluster.url(follower)}/kv/x/cas`, {
      method: "POST",
      body: "{nope",
    });
    expect(response.status).toBe(400);
  });
});

describe("kv-server process", () => {
  it("exits 2 with a sentence for a bad option", async () => {
    const result = await runScript("server.ts", ["--id", "a", "--tick-ms", "soon"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/kv-server: --peers is required/);
  }, 120_000);

  it("refuses a data directory that a live server holds", async () => {
    const result = await runScript(
      "server.ts",
      ["--id", "x", "--peers", "x=0", "--api", "x=0", "--data-dir", join(dir, follower)],
      { FLOTILLA_KEY_HEX: cluster.keyHex },
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/cannot start: .*lock/i);
  }, 120_000);

  it("releases its data directory when it cannot start (API port in use)", async () => {
    const busy = new URL(cluster.url(follower)).port;
    const dataDir = join(dir, "port-in-use");
    const [udpPort] = await freeUdpPorts(1);
    const result = await runScript(
      "server.ts",
      [
        "--id",
        "x",
        "--peers",
        `x=127.0.0.1:${udpPort}`,
        "--api",
        `x=127.0.0.1:${busy}`,
        "--data-dir",
        dataDir,
      ],
      { FLOTILLA_KEY_HEX: cluster.keyHex },
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/cannot start: .*EADDRINUSE/);
    expect(await readdir(dataDir)).not.toContain("LOCK");
  }, 120_000);

  it("shuts down cleanly on SIGTERM and keeps its data for a restart", async () => {
    await cluster.kill(follower, "SIGTERM");
    const records = await cluster.logRecords(follower);
    const shutdown = records.map((r) => r.msg).lastIndexOf("shutting down");
    expect(records[shutdown]?.why).toBe("SIGTERM");
    expect(records.slice(shutdown).map((r) => r.msg)).toContain("stopped");
    await cluster.start(follower);
    expect(await kv("get", "greeting")).toMatchObject({ code: 0, stdout: "bye\n" });
  }, 120_000); // a restart and a CLI call: each takes 10-30 s of tsx start-up at load 40
});
