import { afterEach, describe, expect, it, vi } from "vitest";
import {
  consoleLogger,
  type LogFields,
  type Logger,
  type LogLevel,
  type Message,
  type NodeId,
} from "../../src/index.js";
import { TestCluster, tickMs } from "./cluster.js";
import { bytes } from "./fixtures.js";
import { a, single, singleLeader } from "./single-node.js";

type Record = { readonly level: LogLevel; readonly message: string; readonly fields: LogFields };

class ArrayLogger implements Logger {
  readonly records: Record[] = [];
  log(level: LogLevel, message: string, fields: LogFields): void {
    this.records.push({ level, message, fields });
  }
  find(message: string, fields: LogFields = {}): Record | undefined {
    return this.records.find(
      (r) => r.message === message && Object.entries(fields).every(([k, v]) => r.fields[k] === v),
    );
  }
}

/** A message the core drops as bad input: it claims to come from the node itself. */
const fromItself: Message = {
  type: "appendEntries",
  from: a,
  to: a,
  term: 1,
  prevLogIndex: 0,
  prevLogTerm: 0,
  entries: [],
  leaderCommit: 0,
  seq: 1,
} as unknown as Message;

describe("createNode: the operator's log", () => {
  let cluster: TestCluster | undefined;
  afterEach(async () => {
    await cluster?.stopAll();
    cluster = undefined;
  });

  it("says who started an election and why, and who won it", async () => {
    const loggers = new Map<NodeId, ArrayLogger>();
    cluster = new TestCluster(["a", "b", "c"]);
    for (const id of cluster.ids) loggers.set(id, new ArrayLogger());
    await startWithLoggers(cluster, loggers);
    const leader = await cluster.electedLeader();
    const log = loggers.get(leader)!;
    const term = cluster.node(leader).status().term;
    expect(
      log.find("pre-vote started", {
        node: leader,
        reason: "election timeout: no leader heard from",
      }),
    ).toBeDefined();
    expect(
      log.find("became leader", { node: leader, term, reason: "won the election" }),
    ).toBeDefined();
    const follower = cluster.ids.find((id) => id !== leader)!;
    await cluster.until(() => cluster!.node(follower).status().leader === leader);
    expect(loggers.get(follower)!.records.some((r) => r.fields.leader === leader)).toBe(true);
  });

  it("reports a peer that went silent, and when it is heard again", async () => {
    const loggers = new Map<NodeId, ArrayLogger>();
    cluster = new TestCluster(["a", "b", "c"]);
    for (const id of cluster.ids) loggers.set(id, new ArrayLogger());
    await startWithLoggers(cluster, loggers);
    const leader = await cluster.electedLeader();
    const log = loggers.get(leader)!;
    const silent = cluster.ids.find((id) => id !== leader)!;
    await cluster.stop(silent);
    await cluster.until(
      () =>
        log.find("peer unreachable: no reply for an election timeout", { peer: silent }) !==
        undefined,
    );
    expect(log.find("peer reachable again", { peer: silent })).toBeUndefined();
    await startOne(cluster, silent, loggers);
    await cluster.until(() => log.find("peer reachable again", { peer: silent }) !== undefined);
  });

  it("logs the first bad message from a peer at once and sums the rest", async () => {
    const logger = new ArrayLogger();
    const t = single([a], a, { logger });
    await t.node.start();
    for (let i = 0; i < 5; i++) t.transport.inject(fromItself);
    await t.clock.advance(tickMs);
    const first = logger.records.filter((r) => r.message === "dropped a bad message from a peer");
    expect(first).toHaveLength(1);
    expect(first[0]!.level).toBe("warn");
    expect(first[0]!.fields).toMatchObject({ node: a, peer: a, type: "appendEntries" });
    expect(String(first[0]!.fields.reason)).toMatch(/itself/);
    await t.clock.advance(11_000);
    const summary = logger.find("dropped bad messages from a peer", { peer: a, count: 4 });
    expect(summary?.level).toBe("warn");
    expect(t.node.stats().droppedByType.appendEntries).toBe(5);
    await t.node.stop();
  });

  it("warns of a storage write slower than half an election timeout", async () => {
    const logger = new ArrayLogger();
    const t = await singleLeader({ logger });
    t.storage.hold();
    const proposal = t.node.propose(bytes("x"));
    await t.clock.advance(tickMs);
    await t.clock.advance(10 * tickMs); // the write is held for 100 ms; half the timeout is 50
    t.storage.release();
    await expect(proposal).resolves.toBe("2:x");
    const slow = logger.records.find((r) => r.message.startsWith("slow storage write"));
    expect(slow?.level).toBe("warn");
    expect(Number(slow?.fields.ms)).toBeGreaterThan(Number(slow?.fields.thresholdMs));
    await t.node.stop();
  });

  it("logs a failure that stops the node, and survives a logger that throws", async () => {
    const logger = new ArrayLogger();
    const t = await singleLeader({ logger });
    t.storage.failWith(new Error("disk on fire"));
    await t.node.propose(bytes("x")).catch(() => undefined);
    const failed = logger.find("node failed and stopped", { code: "STORAGE_FAILED" });
    expect(failed?.level).toBe("error");
    expect(String(failed?.fields.error)).toContain("disk on fire");

    const throwing = await singleLeader({
      logger: {
        log() {
          throw new Error("logger down");
        },
      },
    });
    await expect(throwing.node.propose(bytes("y"))).resolves.toBe("2:y");
    await throwing.node.stop();
  });

  it("consoleLogger prints records at or above its threshold only", () => {
    const info = vi.spyOn(console, "info").mockImplementation(() => undefined);
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    try {
      const logger = consoleLogger("warn");
      logger.log("info", "quiet", { node: "a" });
      logger.log("warn", "loud", { node: "a" });
      expect(info).not.toHaveBeenCalled();
      expect(warn).toHaveBeenCalledWith('WARN loud {"node":"a"}');
    } finally {
      info.mockRestore();
      warn.mockRestore();
    }
  });
});

describe("createNode: stats()", () => {
  it("counts proposals, commits, applies, elections, messages and latencies", async () => {
    const cluster = new TestCluster(["a", "b", "c"]);
    await cluster.startAll();
    const leaderId = await cluster.electedLeader();
    const leader = cluster.node(leaderId);
    const proposals = [1, 2, 3].map((i) => leader.propose(bytes(`v${i}`)));
    await cluster.until(() => leader.status().appliedIndex >= 4);
    await Promise.all(proposals);
    const stats = leader.stats();
    expect(stats.proposals).toEqual({ accepted: 3, rejected: 0 });
    expect(stats.entriesCommitted).toBe(4); // the no-op and three commands
    expect(stats.entriesApplied).toBe(4);
    expect(stats.electionsStarted).toBeGreaterThanOrEqual(2); // a pre-vote round and the vote
    expect(stats.leaderChanges).toBe(1);
    expect(stats.term).toBe(leader.status().term);
    expect(stats.messagesSent.appendEntries).toBeGreaterThan(0);
    expect(stats.messagesReceived.appendEntriesResponse).toBeGreaterThan(0);
    expect(stats.payloadBytesSent.appendEntries).toBeGreaterThanOrEqual(2 * 3 * 2); // 3 x "vN" to 2 peers
    expect(stats.persistMs.count).toBeGreaterThan(0);
    expect(stats.persistMs.counts.at(-1)).toBeLessThanOrEqual(stats.persistMs.count);
    expect(stats.applyMs.count).toBeGreaterThan(0);
    const follower = cluster.node(cluster.ids.find((id) => id !== leaderId)!);
    const refusal = follower.propose(bytes("no")).catch((error: Error) => error.name);
    await cluster.clock.advance(tickMs); // a refusal settles in a later (virtual) task
    const rejected = await refusal;
    expect(rejected).toBe("NotLeaderError");
    expect(follower.stats().proposals.rejected).toBe(1);
    await cluster.stopAll();
  });

  it("records the size of each snapshot taken", async () => {
    const { node, clock } = await singleLeader({ snapshotEveryEntries: 2 });
    await node.propose(bytes("a"));
    await node.propose(bytes("b"));
    await clock.advance(tickMs);
    const { snapshotBytes } = node.stats();
    expect(snapshotBytes.count).toBeGreaterThanOrEqual(1);
    expect(snapshotBytes.sum).toBeGreaterThan(0);
    await node.stop();
  });
});

async function startWithLoggers(cluster: TestCluster, loggers: Map<NodeId, ArrayLogger>) {
  for (const id of cluster.ids) await startOne(cluster, id, loggers);
}

async function startOne(cluster: TestCluster, id: NodeId, loggers: Map<NodeId, ArrayLogger>) {
  await cluster.start(id, { logger: loggers.get(id)! });
}
