// `bench kv --put-only`: the file-storage PUT phases alone, beside etcd's, `--rounds` times over,
// for same-run comparisons on a loaded machine (kv.ts runs the phases; this file pairs them up).
import type { PhaseResult } from "./closed-loop.js";
import { pick, type Row, round2 } from "./kv-report.js";

/** A phase's result with the term changes seen during it and its servers' CPU per request. */
type Counted = { readonly leaderChanges: number; readonly serverCpuUsPerOp: number };

/** What `--put-only` runs: each client count, `rounds` times, with values of `valueBytes`. */
export type PutShape = {
  readonly clientCounts: readonly number[];
  readonly rounds: number;
  readonly valueBytes: number;
};

/** One round: our phase and etcd's right after it (null without etcd). */
export type RoundPair<R> = { readonly ours: R; readonly etcd: R | null };

/**
 * `rounds` rounds of `clients` clients, ours and then etcd's in each, every round a row of the
 * table (labelled `#n` when there are several).
 */
export async function alternatedRounds<Target, R extends PhaseResult & { leaderChanges: number }>(
  phase: (target: Target, clients: number, valueBytes: number) => Promise<R>,
  ours: Target,
  etcd: Target | null,
  { clients, rounds, valueBytes }: { clients: number; rounds: number; valueBytes: number },
  rows: Row[],
): Promise<RoundPair<R>[]> {
  const pairs: RoundPair<R>[] = [];
  for (let round = 1; round <= rounds; round++) {
    const mine = await phase(ours, clients, valueBytes);
    const theirs = etcd === null ? null : await phase(etcd, clients, valueBytes);
    pairs.push({ ours: mine, etcd: theirs });
    const label = `file, ${clients} clients, ${valueBytes} B${rounds > 1 ? ` #${round}` : ""}`;
    rows.push({ label, ours: mine, etcd: theirs });
  }
  return pairs;
}

/**
 * The round whose p50 ratio (ours / etcd's) is the median of the rounds' (the lower middle one of
 * an even count); without etcd, the round of our median p50. One round whose servers were still
 * being compiled, or that a busy neighbour slowed, then moves neither side's figure.
 */
export function medianRound<R extends PhaseResult>(pairs: readonly RoundPair<R>[]): RoundPair<R> {
  const key = (p: RoundPair<R>) =>
    p.etcd === null ? p.ours.p50Us : p.ours.p50Us / Math.max(1, p.etcd.p50Us);
  const sorted = [...pairs].sort((a, b) => key(a) - key(b));
  const middle = sorted[Math.floor((sorted.length - 1) / 2)];
  if (middle === undefined) throw new Error("medianRound: no rounds");
  return middle;
}

/** A round's figures as the JSON line reports them, with its servers' CPU per PUT. */
export function withCpu(r: PhaseResult & Counted) {
  return { ...pick(r), serverCpuUsPerOp: r.serverCpuUsPerOp };
}

/**
 * The rounds side by side, to tell which side moved between them: each round's p50 and servers'
 * CPU per PUT, ours / etcd's. Our servers compile their PUT path during the first rounds (their
 * CPU per PUT falls round after round; etcd's is compiled ahead of time and stays flat), so a
 * spread of p50 ratios with a falling CPU per PUT on our side is our JIT, not the machine.
 */
export function roundsLine<R extends PhaseResult & Counted>(
  clients: number,
  pairs: readonly RoundPair<R>[],
): string {
  const ms = (us: number) => (us / 1000).toFixed(2);
  const side = (r: R | null, f: (r: R) => string) => (r === null ? "-" : f(r));
  const p50 = pairs.map((p) => `${ms(p.ours.p50Us)} / ${side(p.etcd, (e) => ms(e.p50Us))}`);
  const cpu = pairs.map(
    (p) => `${p.ours.serverCpuUsPerOp} / ${side(p.etcd, (e) => String(e.serverCpuUsPerOp))}`,
  );
  return `${clients} client(s) by round, ours / etcd: p50 ${p50.join(", ")} ms; servers' CPU per PUT ${cpu.join(", ")} µs`;
}

/**
 * `--put-only`: the file-storage PUT phases alone (`--value-bytes`, 64 by default), etcd's right
 * after each, `rounds` times over:
 * for each client count, the ratios of the sums over the rounds (ops) and the medians of the
 * per-round ratios (p50, p99, and the servers' CPU per PUT: `serverCpuUsPerOp`, all three
 * processes of each side, /proc over the measured window), which a machine whose load drifts
 * weighs on both sides alike.
 */
export async function putRounds<Target>(
  phase: (target: Target, clients: number, valueBytes: number) => Promise<PhaseResult & Counted>,
  ours: Target,
  etcd: Target | null,
  shape: PutShape,
  rows: Row[],
): Promise<Record<string, unknown>> {
  const { clientCounts, rounds, valueBytes } = shape;
  const out: Record<string, unknown> = {};
  for (const clients of clientCounts) {
    const pairs = await alternatedRounds(phase, ours, etcd, { clients, rounds, valueBytes }, rows);
    const withEtcd = pairs.filter((p) => p.etcd !== null) as {
      ours: PhaseResult & Counted;
      etcd: PhaseResult & Counted;
    }[];
    const sum = (rs: readonly PhaseResult[]) => rs.reduce((a, r) => a + r.opsPerSec, 0);
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)] ?? 0;
    out[`c${clients}`] = {
      ours: pairs.map((p) => withCpu(p.ours)),
      etcd: withEtcd.map((p) => withCpu(p.etcd)),
      ...(withEtcd.length === 0
        ? {}
        : {
            opsRatio: round2(
              sum(withEtcd.map((p) => p.ours)) / Math.max(1, sum(withEtcd.map((p) => p.etcd))),
            ),
            p50Ratio: round2(median(withEtcd.map((p) => p.ours.p50Us / Math.max(1, p.etcd.p50Us)))),
            p99Ratio: round2(median(withEtcd.map((p) => p.ours.p99Us / Math.max(1, p.etcd.p99Us)))),
            cpuRatio: round2(
              median(
                withEtcd.map((p) => p.ours.serverCpuUsPerOp / Math.max(1, p.etcd.serverCpuUsPerOp)),
              ),
            ),
          }),
    };
  }
  return out;
}
