import { type Entry, type Membership, nodeId } from "@flotilla/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MembershipLog } from "../src/membership-log.js";

const [a, b, c, d] = [nodeId("a"), nodeId("b"), nodeId("c"), nodeId("d")];
const initial: Membership = { voters: [a, b, c], learners: [] };
const withD: Membership = { voters: [a, b, c, d], learners: [] };
const withoutA: Membership = { voters: [b, c, d], learners: [] };

const noop = (index: number): Entry => ({ kind: "noop", index, term: 1 }) as Entry;
const config = (index: number, membership: Membership): Entry =>
  ({ kind: "membership", index, term: 1, membership }) as Entry;

describe("MembershipLog (thesis §4.1)", () => {
  const log = MembershipLog.from({ index: 0, membership: initial }, [
    noop(1),
    config(2, withD),
    noop(3),
    config(4, withoutA),
  ]);

  it("the latest configuration in the log is in force, committed or not", () => {
    expect(log.current).toEqual({ index: 4, membership: withoutA });
    expect(log.append([noop(5)])).toBe(log);
  });

  it("truncating a configuration's entry rolls back to the one before it", () => {
    expect(log.truncateFrom(4).current).toEqual({ index: 2, membership: withD });
    expect(log.truncateFrom(2).current).toEqual({ index: 0, membership: initial });
    expect(log.truncateFrom(5)).toBe(log);
  });

  it("the configuration at an index is the latest at or before it (what a snapshot records)", () => {
    expect(log.at(1).membership).toBe(initial);
    expect(log.at(2).membership).toBe(withD);
    expect(log.at(3).membership).toBe(withD);
    expect(log.at(9).membership).toBe(withoutA);
  });

  it("compaction folds what was in force at the new base into the base", () => {
    const compacted = log.compactTo(3);
    expect(compacted.base).toEqual({ index: 2, membership: withD });
    expect(compacted.current.membership).toBe(withoutA);
    expect(compacted.truncateFrom(4).current.membership).toBe(withD);
    expect(log.compactTo(1)).toBe(log);
  });

  it("agrees with a scan of the whole log under random appends, truncations and compactions", () => {
    const memberships = [initial, withD, withoutA];
    const action = fc.oneof(
      fc.record({
        op: fc.constant("append"),
        kinds: fc.array(fc.nat(3), { minLength: 1, maxLength: 4 }),
      }),
      fc.record({ op: fc.constant("truncate"), back: fc.nat(5) }),
      fc.record({ op: fc.constant("compact"), back: fc.nat(5) }),
    );
    fc.assert(
      fc.property(fc.array(action, { maxLength: 30 }), (actions) => {
        let entries: Entry[] = [];
        let base = 0;
        let tracked = MembershipLog.from({ index: 0, membership: initial }, []);
        // The reference: a scan of every entry ever kept (compaction does not forget them here).
        let all: Entry[] = [];
        for (const act of actions) {
          const last = base + entries.length;
          if (act.op === "append") {
            const added = act.kinds.map((k, i) =>
              k === 3 ? noop(last + 1 + i) : config(last + 1 + i, memberships[k]!),
            );
            entries = [...entries, ...added];
            all = [...all.filter((e) => e.index <= last), ...added];
            tracked = tracked.append(added);
          } else if (act.op === "truncate") {
            const from = Math.max(base + 1, last + 1 - act.back);
            entries = entries.filter((e) => e.index < from);
            all = all.filter((e) => e.index < from);
            tracked = tracked.truncateFrom(from);
          } else {
            const to = Math.max(base, last - act.back);
            entries = entries.filter((e) => e.index > to);
            base = to;
            tracked = tracked.compactTo(to);
          }
          const scan = (upTo: number) =>
            [...all].reverse().find((e) => e.kind === "membership" && e.index <= upTo);
          const expected = (upTo: number) => {
            const found = scan(upTo);
            return found?.kind === "membership" ? found.membership : initial;
          };
          expect(tracked.current.membership).toBe(expected(Number.POSITIVE_INFINITY));
          for (let i = base; i <= base + entries.length; i++) {
            expect(tracked.at(i).membership).toBe(expected(i));
          }
        }
      }),
      { seed: 41, numRuns: 500 },
    );
  });
});
