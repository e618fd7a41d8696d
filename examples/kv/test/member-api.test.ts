// Membership changes through the kv server's HTTP API, with real servers (startServer: UDP on
// loopback, the whole server wiring) in this process: a node started with --join is added, learns
// every address and catches up by log or snapshot; typed refusals become clear statuses; a
// restarted original member finds a member added later through its own log. Time only bounds
// waits; nothing asserts on it.

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { KvClient, KvRequestError } from "../src/client.js";
import { type RunningServer, startServer, stopServer } from "../src/kv-server.js";
import { freeTcpPorts, freeUdpPorts, pause } from "../src/local-cluster.js";
import { parseServerOptions } from "../src/server-options.js";

const host = "127.0.0.1";
const keyHex = "5a".repeat(32);
const running: RunningServer[] = [];
let dir: string | null = null;

afterEach(async () => {
  await Promise.all(running.splice(0).map((server) => stopServer(server, "test over")));
  if (dir !== null) await rm(dir, { recursive: true, force: true });
  dir = null;
});

type Node = { readonly id: string; readonly raft: string; readonly api: string };

async function nodes(...ids: string[]): Promise<Node[]> {
  const udp = await freeUdpPorts(ids.length);
  const tcp = await freeTcpPorts(ids.length);
  return ids.map((id, i) => ({ id, raft: `${host}:${udp[i]}`, api: `${host}:${tcp[i]}` }));
}

/** Starts `self` as a member of `initial`, or (join) empty, asking `join`'s API for addresses. */
async function start(
  self: Node,
  cluster: { initial?: readonly Node[]; join?: Node; extra?: readonly string[] },
): Promise<RunningServer> {
  const members = cluster.initial ?? [self];
  const argv = [
    ...["--id", self.id, "--tick-ms", "10", "--election-ticks", "20"],
    ...["--peers", members.map((n) => `${n.id}=${n.raft}`).join(",")],
    ...["--api", members.map((n) => `${n.id}=${n.api}`).join(",")],
    ...(cluster.join === undefined ? [] : ["--join", cluster.join.api]),
    ...(dir === null ? ["--storage", "memory"] : ["--data-dir", join(dir, self.id)]),
    ...(cluster.extra ?? []),
  ];
  const options = parseServerOptions(argv, { FLOTILLA_KEY_HEX: keyHex });
  if (options === "help") throw new Error("unexpected help");
  const server = await startServer(options);
  running.push(server);
  return server;
}

async function until(what: string, condition: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = performance.now() + 20_000;
  while (!(await condition())) {
    if (performance.now() > deadline) throw new Error(`${what}: not within 20 s`);
    await pause(20);
  }
}

const isLeader = (server: RunningServer) => () => server.node.status().role === "leader";

async function refusal(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(error instanceof KvRequestError)) throw new Error(`expected a refusal, got ${error}`);
  return error.code;
}

describe("kv membership through the HTTP API", () => {
  it("adds a node started with --join as a voter and a learner, refuses mistakes by name, and removes them", async () => {
    const [a, b, c] = (await nodes("a", "b", "c")) as [Node, Node, Node];
    // Snapshots every 5 entries with 2 kept before them: c, added last, needs the snapshot.
    const extra = ["--snapshot-every", "5", "--snapshot-trailing", "2"];
    const serverA = await start(a, { extra });
    await until("a elects itself", isLeader(serverA));
    const client = new KvClient({ servers: [`http://${a.api}`], retryUnknownWrites: true });
    for (let i = 0; i < 12; i++) await client.put(`k${i}`, `v${i}`);

    const serverB = await start(b, { join: a, extra });
    expect(serverB.node.status().membership).toEqual({ voters: [], learners: [] });
    const addedB = await client.addMember("b", { raft: b.raft, api: b.api });
    expect(addedB).toMatchObject({ id: "b", role: "voter", membership: { voters: ["a", "b"] } });
    await until("b holds every key", () => serverB.node.status().appliedIndex >= 13);
    expect(await new KvClient({ servers: [`http://${b.api}`] }).get("k11")).toBe("v11");

    const serverC = await start(c, { join: b, extra });
    // Through b, a follower (or the leader): the request goes to the leader either way.
    const viaB = new KvClient({ servers: [`http://${b.api}`], deadlineMs: 20_000 });
    const addedC = await viaB.addMember("c", { raft: c.raft, api: c.api }, { learner: true });
    expect(addedC).toMatchObject({ role: "learner", membership: { voters: ["a", "b"] } });
    await until("c caught up", () => serverC.node.status().appliedIndex >= 13);
    expect(serverC.node.status().snapshotIndex).toBeGreaterThan(0); // installed, not replayed
    // c learned every address from the leader's snapshot (b's record included) or a's answer.
    expect(serverC.addresses.all().map((r) => r.id)).toEqual(["a", "b", "c"]);

    expect(await refusal(client.addMember("c", { raft: c.raft, api: c.api }))).toBe(
      "ALREADY_MEMBER",
    );
    expect(await refusal(client.promoteMember("zed"))).toBe("UNKNOWN_MEMBER");
    expect(await refusal(client.promoteMember("b"))).toBe("NOT_LEARNER");
    expect(await refusal(client.removeMember("zed"))).toBe("UNKNOWN_MEMBER");
    expect(await refusal(client.addMember("d", { raft: "nowhere", api: c.api }))).toBe(
      "BAD_REQUEST",
    );

    expect(await viaB.promoteMember("c")).toMatchObject({ role: "voter" });
    const view = await viaB.members();
    expect(view.membership.voters).toEqual(["a", "b", "c"]);
    expect(view.members.map((m) => [m.id, m.role, m.raft, m.api])).toEqual([
      ["a", "voter", a.raft, a.api],
      ["b", "voter", b.raft, b.api],
      ["c", "voter", c.raft, c.api],
    ]);
    await client.put("after", "three voters");

    await client.removeMember("b");
    await client.removeMember("c");
    expect((await client.members()).membership).toEqual({ voters: ["a"], learners: [] });
    expect(await refusal(client.removeMember("a"))).toBe("LAST_VOTER");
    await client.put("after", "one voter again");
  }, 60_000);

  it("a restarted original member reaches a member added later through its own log; the joined member restarts as a member", async () => {
    dir = await mkdtemp(join(tmpdir(), "flotilla-kv-member-"));
    const [a, b] = (await nodes("a", "b")) as [Node, Node];
    let serverA = await start(a, {});
    await until("a elects itself", isLeader(serverA));
    const client = new KvClient({ servers: [`http://${a.api}`], retryUnknownWrites: true });
    await client.put("before", "1");
    const serverB = await start(b, { join: a });
    await client.addMember("b", { raft: b.raft, api: b.api });
    await client.put("with b", "2");

    // a's command line names only a; b's addresses come back from a's log, or a (one of two
    // voters) could never be elected again.
    await stopServer(serverA, "restart");
    running.splice(running.indexOf(serverA), 1);
    serverA = await start(a, {});
    const restarted = serverA;
    await until("a applies its log again", () => restarted.addresses.get("b") !== undefined);
    await until("a leader among a and b", () =>
      [serverA, serverB].some((s) => s.node.status().role === "leader"),
    );
    const both = new KvClient({
      servers: [`http://${a.api}`, `http://${b.api}`],
      retryUnknownWrites: true,
      deadlineMs: 20_000,
    });
    await both.put("after restart", "3");
    expect(await both.get("with b")).toBe("2");

    // b, started with --join, restarts with the same command line: it is a voter from its own
    // log (not a node waiting to be added), and the pair commits again.
    await stopServer(serverB, "restart");
    running.splice(running.indexOf(serverB), 1);
    const again = await start(b, { join: a });
    expect(again.node.status().membership.voters).toEqual(["a", "b"]);
    await both.put("after b's restart", "4");
    expect(await both.get("after restart")).toBe("3");
  }, 60_000);
});
