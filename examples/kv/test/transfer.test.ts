// Leadership transfer with three real kv-server processes on loopback: `kv transfer ID` moves
// leadership (exit codes as the other commands), and a leader stopped by SIGTERM hands leadership
// over before it exits while a client keeps writing, and no acknowledged write is lost. Every
// process is killed by pid in afterAll.

import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KvClient } from "../src/client.js";
import { LocalCluster } from "../src/local-cluster.js";

const packageDir = fileURLToPath(new URL("..", import.meta.url));
const ids = ["a", "b", "c"];
let cluster: LocalCluster;
let dir: string;

type Run = { code: number; stdout: string; stderr: string };

function kv(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [
        "--conditions=@flotilla/source",
        "--import",
        "tsx",
        join(packageDir, "src", "cli.ts"),
        "--servers",
        cluster.urls.join(","),
        ...args,
      ],
      { cwd: packageDir, timeout: 30_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "flotilla-kv-transfer-"));
  cluster = await LocalCluster.create({ ids, dir });
  await Promise.all(ids.map((id) => cluster.start(id, 60_000)));
}, 120_000);

afterAll(async () => {
  await cluster?.destroy();
  await rm(dir, { recursive: true, force: true });
});

describe("leadership transfer in the kv example", () => {
  it("kv transfer ID makes ID the leader; refusals exit 3", async () => {
    const leader = await cluster.waitForLeader();
    const target = ids.find((id) => id !== leader) as string;
    const moved = await kv("transfer", target);
    expect(moved).toMatchObject({ code: 0, stdout: `OK: ${target} leads\n` });
    expect(await cluster.waitForLeader()).toBe(target);
    const unknown = await kv("transfer", "zz");
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toMatch(/TRANSFER_REFUSED.*unknownNode/);
    expect((await kv("transfer", target)).code).toBe(0); // already leads
    expect((await kv("transfer")).code).toBe(2);
  }, 120_000);

  it("a leader stopped with SIGTERM hands leadership over while a client writes on", async () => {
    const leader = await cluster.waitForLeader();
    // Fresh keys, each written by this client alone: a write of unknown outcome (a connection
    // the stopping server closed) is safe to retry.
    const client = new KvClient({
      servers: cluster.urls,
      deadlineMs: 30_000,
      retryUnknownWrites: true,
    });
    await client.put("before", "1");
    let writing = true;
    let written = 0;
    const writer = (async () => {
      while (writing) {
        await client.put(`w${written}`, String(written));
        written += 1;
      }
    })();
    await cluster.kill(leader, "SIGTERM");
    const records = await cluster.logRecords(leader);
    const messages = records.map((r) => r.msg);
    const shutdown = messages.lastIndexOf("shutting down");
    expect(messages.slice(shutdown), JSON.stringify(records.slice(shutdown))).toEqual(
      expect.arrayContaining(["handed leadership over", "stopped"]),
    );
    const after = written;
    await cluster.waitForLeader();
    // The writer goes on at the new leader.
    while (written < after + 5) await new Promise((resolve) => setTimeout(resolve, 20));
    writing = false;
    await writer;
    for (let k = 0; k < written; k += Math.max(1, Math.floor(written / 10))) {
      expect(await client.get(`w${k}`)).toBe(String(k));
    }
  }, 120_000);
});
