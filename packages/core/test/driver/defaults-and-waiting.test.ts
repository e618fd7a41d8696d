// Friendlier defaults: createNode without tickMs ticks every driverDefaults.tickMs; a proposal
// without a timeout rejects with TimeoutError after driverDefaults.proposalTimeoutMs; whenLeader
// and ready wait for a leader (or reject with NoLeaderError), all on a virtual clock.
import { describe, expect, it } from "vitest";
import {
  ConfigError,
  createNode,
  driverDefaults,
  type Message,
  type NodeId,
  NoLeaderError,
  ready,
  type Term,
  TimeoutError,
  whenLeader,
} from "../../src/index.js";
import { LogMachine, ObservedStorage, watch } from "./fixtures.js";
import { ProbeTransport } from "./loopback.js";
import { a, b, c, singleLeader } from "./single-node.js";
import { settle, VirtualClock } from "./virtual-clock.js";

function nodeWithoutTimings(voters = [a], checkQuorum = true) {
  const clock = new VirtualClock();
  const transport = new ProbeTransport();
  const node = createNode<string>({
    id: a,
    voters,
    checkQuorum,
    transport,
    storage: new ObservedStorage(),
    stateMachine: new LogMachine(),
    scheduler: clock,
  });
  return { clock, node, transport };
}

function voteGranted(from: NodeId): Message {
  const term = 1 as Term;
  return { type: "requestVoteResponse", from, to: a, term, preVote: false, granted: true };
}

describe("driver defaults", () => {
  it("ticks every driverDefaults.tickMs when tickMs is left out", async () => {
    const { clock, node } = nodeWithoutTimings();
    await node.start();
    // A lone voter campaigns once its election timeout (at least electionTimeoutTicks) runs out.
    await clock.advance(driverDefaults.tickMs * 9);
    expect(node.status().role).toBe("follower");
    await clock.advance(driverDefaults.tickMs * 12);
    expect(node.status().role).toBe("leader");
    await node.stop();
  });

  it("rejects a proposal with TimeoutError after driverDefaults.proposalTimeoutMs", async () => {
    // A leader whose followers never acknowledge: the entry cannot commit. Without CheckQuorum it
    // keeps leading (with it, it would step down first and settle the proposal as SteppedDownError).
    const { clock, node, transport } = nodeWithoutTimings([a, b, c], false);
    await node.start();
    node.campaign();
    await settle();
    for (const peer of [b, c]) transport.inject(voteGranted(peer));
    await settle();
    expect(node.status().role).toBe("leader");
    const proposal = watch(node.propose(new Uint8Array([1])));
    await clock.advance(driverDefaults.proposalTimeoutMs - 1);
    expect(proposal.state()).toBe("pending");
    await clock.advance(1);
    expect(proposal.error()).toBeInstanceOf(TimeoutError);
    await node.stop();
  });

  it("still refuses a tickMs that is not positive", () => {
    expect(() =>
      createNode({
        id: a,
        voters: [a],
        tickMs: 0,
        transport: new ProbeTransport(),
        storage: new ObservedStorage(),
        stateMachine: new LogMachine(),
      }),
    ).toThrow(ConfigError);
  });
});

describe("whenLeader and ready", () => {
  it("resolve at once when a node already leads", async () => {
    const t = await singleLeader();
    expect(await whenLeader([t.node], { scheduler: t.clock })).toBe(t.node);
    expect(await ready(t.node, { scheduler: t.clock })).toBe(a);
    expect(t.clock.pendingTimers).toBeGreaterThan(0); // the tick timer; the wait's own is cleared
    await t.node.stop();
  });

  it("resolve when a leader is elected later", async () => {
    const { clock, node } = nodeWithoutTimings();
    await node.start();
    const leader = whenLeader([node], { scheduler: clock, timeoutMs: 60_000 });
    const known = ready(node, { scheduler: clock, timeoutMs: 60_000 });
    await clock.advance(driverDefaults.tickMs * 25);
    expect(await leader).toBe(node);
    expect(await known).toBe(a);
    await node.stop();
  });

  it("reject with NoLeaderError when no leader comes in time", async () => {
    const { clock, node } = nodeWithoutTimings([a, b]); // b never answers: no quorum
    await node.start();
    const waiting = whenLeader([node], { scheduler: clock, timeoutMs: 5_000 }).catch(
      (error: unknown) => error,
    );
    await clock.advance(5_000);
    const error = await waiting;
    expect(error).toBeInstanceOf(NoLeaderError);
    expect((error as NoLeaderError).code).toBe("NO_LEADER");
    await node.stop();
  });
});
