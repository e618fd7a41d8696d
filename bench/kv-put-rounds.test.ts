import { describe, expect, it } from "vitest";
import type { PhaseResult } from "./closed-loop.js";
import { medianRound, type RoundPair, roundsLine } from "./kv-put-rounds.js";

const result = (p50Us: number): PhaseResult => ({
  opsPerSec: 1,
  p50Us,
  p99Us: p50Us,
  errors: 0,
  perSecond: [1],
});

describe("medianRound", () => {
  it("picks the round whose p50 ratio to etcd's is the median, whatever the rounds' order", () => {
    // Ratios 1.5 (a cold first round), 0.7, 0.9: the median is 0.9, the third round.
    const rounds: RoundPair<PhaseResult>[] = [
      { ours: result(1500), etcd: result(1000) },
      { ours: result(700), etcd: result(1000) },
      { ours: result(1800), etcd: result(2000) },
    ];
    expect(medianRound(rounds)).toBe(rounds[2]);
    expect(medianRound([rounds[1]!, rounds[2]!, rounds[0]!])).toBe(rounds[2]);
  });

  it("takes the lower middle of an even count, and our median p50 without etcd", () => {
    const even: RoundPair<PhaseResult>[] = [
      { ours: result(900), etcd: result(1000) },
      { ours: result(600), etcd: result(1000) },
    ];
    expect(medianRound(even)).toBe(even[1]);
    const alone: RoundPair<PhaseResult>[] = [
      { ours: result(3000), etcd: null },
      { ours: result(1000), etcd: null },
      { ours: result(2000), etcd: null },
    ];
    expect(medianRound(alone)).toBe(alone[2]);
  });
});

describe("roundsLine", () => {
  const counted = (p50Us: number, serverCpuUsPerOp: number) => ({
    ...result(p50Us),
    leaderChanges: 0,
    serverCpuUsPerOp,
  });

  it("puts each round's p50 and CPU per PUT side by side, ours first", () => {
    const pairs = [
      { ours: counted(2070, 3333), etcd: counted(1700, 1598) },
      { ours: counted(1000, 1286), etcd: null },
    ];
    expect(roundsLine(1, pairs)).toBe(
      "1 client(s) by round, ours / etcd: p50 2.07 / 1.70, 1.00 / - ms; servers' CPU per PUT 3333 / 1598, 1286 / - µs",
    );
  });
});
