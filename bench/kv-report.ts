// The report of `bench kv`: the human table (each phase's Flotilla numbers, etcd's beside them when
// etcd ran, and the ratios: ops/s Flotilla / etcd, higher is better; latency Flotilla / etcd, lower
// is better) and the helpers that shape the numbers of its JSON line.
import type { PhaseResult } from "./closed-loop.js";

export type Row = {
  readonly label: string;
  readonly ours: PhaseResult & { readonly leaderChanges: number };
  readonly etcd: PhaseResult | null;
};

export function printTable(rows: readonly Row[]): void {
  const lines = [
    [
      "phase",
      "flotilla ops/s",
      "p50 ms",
      "p99 ms",
      "err",
      "terms+",
      "etcd ops/s",
      "p50 ms",
      "p99 ms",
      "err",
      "ops ×",
      "p50 ×",
      "p99 ×",
    ],
  ];
  for (const { label, ours, etcd } of rows) {
    const theirs =
      etcd === null
        ? ["-", "-", "-", "-", "-", "-", "-"]
        : [
            String(etcd.opsPerSec),
            ms(etcd.p50Us),
            ms(etcd.p99Us),
            String(etcd.errors),
            ratio(ours.opsPerSec, etcd.opsPerSec),
            ratio(ours.p50Us, etcd.p50Us),
            ratio(ours.p99Us, etcd.p99Us),
          ];
    lines.push([
      label,
      String(ours.opsPerSec),
      ms(ours.p50Us),
      ms(ours.p99Us),
      String(ours.errors),
      String(ours.leaderChanges),
      ...theirs,
    ]);
  }
  const widths = lines[0]!.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)));
  for (const line of lines) {
    console.log(
      line
        .map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
        .join("  "),
    );
  }
  for (const { label, ours } of rows) {
    if (Math.min(...ours.perSecond) === 0) {
      console.log(`${label}: a second with no commit (per second: ${ours.perSecond.join(", ")})`);
    }
  }
}

function ms(us: number): string {
  return (us / 1000).toFixed(2);
}

function ratio(a: number, b: number): string {
  return b === 0 ? "-" : (a / b).toFixed(2);
}

/** A phase's numbers as the JSON line reports them. */
export function pick(r: PhaseResult) {
  return { opsPerSec: r.opsPerSec, p50Us: r.p50Us, p99Us: r.p99Us, errors: r.errors };
}

/** A ratio as the JSON line reports it: two decimals. */
export function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
