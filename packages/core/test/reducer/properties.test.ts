// Random schedules over a hand-driven network: deliveries in any order, drops, duplicates, ticks,
// proposals, forced campaigns and crash-restarts (from what storage holds) among 3 and 5 cores. Whatever happens, no two leaders share a
// term and no two nodes apply different entries at the same index. Seeds are fixed and printed.

import type { Event, MembershipChange, MembershipOperation, Message } from "@flotilla/core";
import { type RaftStateInternals, status, step } from "@flotilla/core/runtime";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Cluster } from "./cluster.js";

type Action =
  | { readonly kind: "tick"; readonly node: number }
  | { readonly kind: "deliver"; readonly pick: number }
  | { readonly kind: "drop"; readonly pick: number }
  | { readonly kind: "duplicate"; readonly pick: number }
  | { readonly kind: "propose"; readonly node: number }
  | { readonly kind: "campaign"; readonly node: number }
  | { readonly kind: "restart"; readonly node: number }
  | {
      readonly kind: "change";
      readonly node: number;
      readonly op: MembershipOperation["type"] | "leaveJoint";
      readonly targets: readonly number[];
    };

const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant("tick" as const), node: fc.nat(4) }) },
  {
    weight: 10,
    arbitrary: fc.record({ kind: fc.constant("deliver" as const), pick: fc.nat(1000) }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("drop" as const), pick: fc.nat(1000) }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant("duplicate" as const), pick: fc.nat(1000) }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("propose" as const), node: fc.nat(4) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("campaign" as const), node: fc.nat(4) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("restart" as const), node: fc.nat(4) }) },
);

/**
 * A membership change request, usually to the leader of the highest term (else to a random
 * node, which refuses it): any operation on one or two of the nodes, leaving a joint one too.
 */
const change: fc.Arbitrary<Action> = fc.record({
  kind: fc.constant("change" as const),
  node: fc.nat(9),
  op: fc.constantFrom("addVoter", "addLearner", "promote", "demote", "remove", "leaveJoint"),
  targets: fc.array(fc.nat(4), { minLength: 1, maxLength: 2 }),
});

function run(c: Cluster, actions: readonly Action[]): void {
  let proposals = 0;
  for (const a of actions) {
    const node = "node" in a ? c.ids[a.node % c.ids.length]! : undefined;
    switch (a.kind) {
      case "tick":
        c.tick(node!);
        break;
      case "propose":
        c.step(node!, {
          type: "propose",
          id: `p${proposals}`,
          data: new Uint8Array([proposals++ & 255]),
        });
        break;
      case "campaign":
        c.step(node!, { type: "campaign" });
        break;
      case "restart":
        c.restart(node!);
        break;
      case "change": {
        const ids = [...new Set(a.targets.map((t) => c.ids[t % c.ids.length]!))];
        const request: MembershipChange =
          a.op === "leaveJoint"
            ? { type: "leaveJoint" }
            : {
                type: "change",
                operations: ids.map((id) => ({ type: a.op, id }) as MembershipOperation),
              };
        const to = a.node < 5 ? node! : (c.leader() ?? node!);
        c.step(to, {
          type: "changeMembership",
          id: `c${proposals++}`,
          change: request,
          force: true,
        });
        break;
      }
      case "deliver":
        if (c.queue.length > 0) c.deliver(a.pick % c.queue.length);
        break;
      case "drop":
        if (c.queue.length > 0) c.queue.splice(a.pick % c.queue.length, 1);
        break;
      case "duplicate":
        if (c.queue.length > 0) c.queue.push(c.queue[a.pick % c.queue.length]!);
        break;
      default:
        a satisfies never;
    }
    c.checkCommittedPrefixes();
  }
  // The Cluster throws on two leaders in one term as it observes roleChanged effects.
  const leaders = [...c.states.values()].map(status).filter((v) => v.role === "leader");
  const terms = leaders.map((v) => v.term);
  expect(new Set(terms).size).toBe(terms.length);
}

describe("safety under random schedules", () => {
  for (const size of [3, 5]) {
    it(`${size} cores: one leader per term, agreeing committed prefixes`, () => {
      const seed = 0x5eed + size;
      const result = fc.check(
        fc.property(fc.array(action, { minLength: 50, maxLength: 600 }), (actions) => {
          run(new Cluster(size, { electionTimeoutTicks: 4, heartbeatIntervalTicks: 1 }), actions);
        }),
        { seed, numRuns: 150 },
      );
      if (result.failed) {
        throw new Error(
          `property failed; replay with seed ${seed}, path ${result.counterexamplePath}: ${fc.defaultReportMessage(result)}`,
        );
      }
    });
  }

  it("5 cores, 3 voters and 2 empty joiners, random membership changes: the same holds across configurations", () => {
    // Thesis chapter 4: additions, removals, learners, promotions, demotions, joint and one-step
    // changes, leaving, of any node including the leader, interleaved with every fault above.
    const seed = 0x5eed + 12;
    const withChanges = fc.oneof(
      { weight: 25, arbitrary: action },
      { weight: 6, arbitrary: change },
    );
    const result = fc.check(
      fc.property(fc.array(withChanges, { minLength: 50, maxLength: 600 }), (actions) => {
        run(new Cluster(5, { electionTimeoutTicks: 4, heartbeatIntervalTicks: 1 }, 3), actions);
      }),
      { seed, numRuns: 200 },
    );
    if (result.failed) {
      throw new Error(
        `property failed; replay with seed ${seed}, path ${result.counterexamplePath}: ${fc.defaultReportMessage(result)}`,
      );
    }
  });

  it("makes progress when the network is kind (liveness sanity check)", () => {
    const c = new Cluster(5, { electionTimeoutTicks: 4 });
    for (let round = 0; round < 40; round++) {
      for (const id of c.ids) c.tick(id);
      c.stabilize();
      const leader = c.leader();
      if (leader !== undefined)
        c.step(leader, { type: "propose", id: `r${round}`, data: new Uint8Array(1) });
      c.stabilize();
    }
    for (const id of c.ids) expect(c.applied.get(id)!.length).toBeGreaterThan(20);
    c.checkCommittedPrefixes();
  });
});

describe("determinism and immutability", () => {
  it("replaying any kept intermediate state gives identical output; old states are unaffected", () => {
    const seed = 424242;
    fc.assert(
      fc.property(fc.array(action, { minLength: 100, maxLength: 300 }), (actions) => {
        const c = new Cluster(3, { electionTimeoutTicks: 4 });
        const history: Array<{
          state: RaftStateInternals;
          event: Event;
          output: string;
          before: string;
        }> = [];
        const originalStep = c.step.bind(c);
        c.step = (id, event) => {
          const state = c.state(id);
          const before = fingerprint(state);
          const result = originalStep(id, event);
          history.push({ state, event, before, output: serialise(result) });
          return result;
        };
        run(c, actions);
        for (const h of history) {
          // The kept state still looks exactly as it did before it was stepped...
          expect(fingerprint(h.state)).toBe(h.before);
          // ...and stepping it again gives the very same output.
          expect(serialise(step(h.state, h.event))).toBe(h.output);
        }
      }),
      { seed, numRuns: 30 },
    );
  });
});

function fingerprint(s: RaftStateInternals): string {
  const v = status(s);
  const log = [];
  for (let i = 1; i <= v.lastLogIndex; i++) log.push(i);
  return JSON.stringify(
    { v, log: JSON.stringify(s.log.slice(1, v.lastLogIndex), replacer) },
    replacer,
  );
}

function serialise(r: {
  state: RaftStateInternals;
  messages: readonly Message[];
  effects: readonly unknown[];
}): string {
  return JSON.stringify({ s: fingerprint(r.state), m: r.messages, e: r.effects }, replacer);
}

function replacer(_key: string, value: unknown): unknown {
  if (value instanceof Uint8Array) return Array.from(value);
  if (value instanceof Map) return [...value];
  return value;
}
