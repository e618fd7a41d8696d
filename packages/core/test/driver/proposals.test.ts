import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ProposalRegistry } from "../../src/driver/proposals.js";
import type { Index, Term } from "../../src/index.js";
import {
  LeadershipLostError,
  OutcomeUnknownError,
  StoppedError,
  TimeoutError,
} from "../../src/index.js";
import { watch } from "./fixtures.js";
import { settle, VirtualClock } from "./virtual-clock.js";

type Expected =
  | { kind: "pending" }
  | { kind: "resolved"; value: string }
  | { kind: "rejected"; error: abstract new (...args: never[]) => Error };

// A model of the settling rule, run against the registry on random schedules of accepts, applies
// (of our entries or others'), snapshots, timeouts and a final stop: every proposal must settle
// exactly when and how the model says, and none may stay pending after the stop.
describe("ProposalRegistry", () => {
  it("settles each proposal once, as the model says (property)", async () => {
    const seed = 0x0d1e;
    const op = fc.oneof(
      fc.record({
        op: fc.constant("create" as const),
        timeoutMs: fc.option(fc.integer({ min: 1, max: 30 })),
      }),
      fc.record({
        op: fc.constant("accept" as const),
        which: fc.nat(),
        index: fc.integer({ min: 1, max: 6 }),
        term: fc.integer({ min: 1, max: 3 }),
      }),
      fc.record({
        op: fc.constant("apply" as const),
        index: fc.integer({ min: 1, max: 6 }),
        term: fc.integer({ min: 1, max: 3 }),
        command: fc.boolean(),
      }),
      fc.record({ op: fc.constant("restore" as const), index: fc.integer({ min: 1, max: 6 }) }),
      fc.record({ op: fc.constant("advance" as const), ms: fc.integer({ min: 1, max: 20 }) }),
      // Several proposals in one job: they share a timer, yet each must settle on its own.
      fc.record({
        op: fc.constant("burst" as const),
        timeouts: fc.array(fc.option(fc.integer({ min: 1, max: 30 })), { maxLength: 5 }),
      }),
    );
    await fc.assert(fc.asyncProperty(fc.array(op, { maxLength: 40 }), runSchedule), {
      seed,
      numRuns: 500,
      verbose: true,
    });
  });
});

describe("ProposalRegistry timeouts", () => {
  it("gives the proposals of one job and one timeout a single timer, and times each out", async () => {
    const clock = new VirtualClock();
    const registry = new ProposalRegistry<string>(clock);
    const burst = Array.from({ length: 50 }, () => registry.create(100));
    const watched = burst.map((p) => watch(p.promise));
    const other = registry.create(200);
    const otherWatched = watch(other.promise);
    expect(clock.pendingTimers).toBe(2);
    await settle();
    // A later job starts its own deadline.
    const later = watch(registry.create(100).promise);
    expect(clock.pendingTimers).toBe(3);
    registry.reject(burst[0]!.id, new StoppedError());
    await clock.advance(100);
    expect(watched[0]!.error()).toBeInstanceOf(StoppedError);
    for (const w of watched.slice(1)) expect(w.error()).toBeInstanceOf(TimeoutError);
    expect(later.error()).toBeInstanceOf(TimeoutError);
    expect(clock.pendingTimers).toBe(1);
    registry.reject(other.id, new StoppedError());
    expect(clock.pendingTimers).toBe(0);
    await settle();
    expect(otherWatched.error()).toBeInstanceOf(StoppedError);
  });
});

type Op =
  | { op: "create"; timeoutMs: number | null }
  | { op: "accept"; which: number; index: number; term: number }
  | { op: "apply"; index: number; term: number; command: boolean }
  | { op: "restore"; index: number }
  | { op: "advance"; ms: number }
  | { op: "burst"; timeouts: (number | null)[] };

async function runSchedule(ops: Op[]): Promise<void> {
  const clock = new VirtualClock();
  const registry = new ProposalRegistry<string>(clock);
  const proposals: {
    id: string;
    watched: ReturnType<typeof watch<string>>;
    deadlineMs: number | null;
    accepted: { index: number; term: number } | null;
    expected: Expected;
  }[] = [];
  const live = () => proposals.filter((p) => p.expected.kind === "pending");
  for (const o of ops) {
    switch (o.op) {
      case "create":
      case "burst":
        for (const timeoutMs of o.op === "create" ? [o.timeoutMs] : o.timeouts) {
          const { id, promise } = registry.create(timeoutMs ?? undefined);
          const deadlineMs = timeoutMs === null ? null : clock.nowMs + timeoutMs;
          proposals.push({
            id,
            watched: watch(promise),
            deadlineMs,
            accepted: null,
            expected: { kind: "pending" },
          });
        }
        break;
      case "accept": {
        const candidates = live().filter((p) => p.accepted === null);
        const p = candidates[o.which % Math.max(1, candidates.length)];
        if (p === undefined) break;
        // Whoever waited at that index lost it to this newer entry.
        for (const q of live())
          if (q.accepted?.index === o.index)
            q.expected = { kind: "rejected", error: LeadershipLostError };
        registry.accepted(p.id, o.index as Index, o.term as Term);
        p.accepted = { index: o.index, term: o.term };
        break;
      }
      case "apply": {
        const result = `r${o.index}.${o.term}`;
        for (const q of live()) {
          if (q.accepted === null) continue;
          if (q.accepted.index === o.index) {
            q.expected =
              o.command && q.accepted.term === o.term
                ? { kind: "resolved", value: result }
                : { kind: "rejected", error: LeadershipLostError };
          } else if (q.accepted.index > o.index && q.accepted.term < o.term) {
            // A later entry of a lower term can never commit once (index, term) has.
            q.expected = { kind: "rejected", error: LeadershipLostError };
          }
        }
        registry.applied(o.index as Index, o.term as Term, result, o.command);
        break;
      }
      case "restore":
        for (const q of live())
          if (q.accepted !== null && q.accepted.index <= o.index)
            q.expected = { kind: "rejected", error: OutcomeUnknownError };
        registry.restored(o.index as Index);
        break;
      case "advance": {
        const untilMs = clock.nowMs + o.ms;
        for (const q of live())
          if (q.deadlineMs !== null && q.deadlineMs <= untilMs)
            q.expected = { kind: "rejected", error: TimeoutError };
        await clock.advance(o.ms);
        break;
      }
    }
    await settle();
    for (const p of proposals) expectMatches(p.watched, p.expected);
  }
  for (const q of live()) q.expected = { kind: "rejected", error: StoppedError };
  registry.rejectAll(() => new StoppedError());
  await settle();
  for (const p of proposals) expectMatches(p.watched, p.expected);
  expect(registry.size).toBe(0);
  expect(clock.pendingTimers).toBe(0); // every shared timer was stopped or fired
}

function expectMatches(watched: ReturnType<typeof watch<string>>, expected: Expected): void {
  expect(watched.state()).toBe(expected.kind);
  if (expected.kind === "resolved") expect(watched.value()).toBe(expected.value);
  if (expected.kind === "rejected") expect(watched.error()).toBeInstanceOf(expected.error);
}
