import { randomInt } from "node:crypto";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { deriveOptions } from "./derive-options.js";
import { simUsage } from "./flag-help.js";
import { simFlags } from "./flags.js";
import { describeOperation } from "./linearizability/history.js";
import type { MembershipCounts } from "./membership-workload.js";
import {
  formatOptions,
  type PartitionPattern,
  type SimulationOptions,
  type SimulationOverrides,
} from "./options.js";
import type { RaftCore } from "./raft-core.js";
import { runSimulation, type SimulationResult } from "./simulator.js";
import type { SnapshotCrashCounts } from "./snapshot-crashes.js";
import { terminalProgress } from "./terminal-progress.js";

// `pnpm sim`: the deterministic cluster simulator from the command line.
//
//   pnpm sim --seed 42                 replay one run exactly (prints its options and fingerprint)
//   pnpm sim --seeds 500               run seeds 1..500 (or --seed S --seeds N: S..S+N-1)
//   pnpm sim --seed random --seeds 100 start from a random seed (printed)
//   pnpm sim --seed 42 --steps 1000000 --nodes 5 --loss 0.1 --crash-rate 0.001 --trace
//
// Exit codes (TigerBeetle's VOPR tells these apart too; the most severe failure wins):
//   0  every run passed
//   1  crash: something threw (the reducer, the simulator, a checker)
//   2  liveness: after the heal, no leader or client operations unfinished within the budget
//   3  correctness: a safety checker or the linearizability checker found a violation
//   64 usage: bad command-line arguments

export const exitCodes = { ok: 0, crash: 1, liveness: 2, correctness: 3, usage: 64 } as const;

const usage = simUsage();

class UsageError extends Error {}

type Cli = {
  readonly firstSeed: number;
  readonly seeds: number;
  readonly overrides: SimulationOverrides;
  /** The flags to repeat in a reproduction command (everything but --seed/--seeds). */
  readonly repeatFlags: string;
  readonly trace: boolean;
  readonly verbose: boolean;
  /** One JSON summary line on `out`; the human lines go to the diagnostics stream. */
  readonly json: boolean;
};

/** Seeds done so far, for a progress display (the terminal's, when `pnpm sim` runs there). */
export interface SimProgress {
  start(total: number): void;
  update(done: number, failures: number): void;
  /** Around a multi-line failure report, so it is not drawn over. */
  pause(): void;
  resume(): void;
  stop(): void;
}

/** Where `main` writes besides `out`, and its progress display. */
export type CliIo = {
  readonly diagnostics?: (line: string) => void;
  readonly progress?: SimProgress;
};

class Help extends Error {}

function parse(argv: readonly string[]): Cli {
  const flagOptions = Object.fromEntries(
    Object.keys(simFlags).map((flag) => [flag, { type: "string" as const }]),
  );
  const { values } = parseArgs({
    args: [...argv],
    options: {
      seed: { type: "string" },
      seeds: { type: "string" },
      steps: { type: "string" },
      trace: { type: "boolean" },
      verbose: { type: "boolean" },
      json: { type: "boolean" },
      help: { type: "boolean" },
      ...flagOptions,
    },
    strict: true,
  });
  if (values.help) throw new Help(usage);
  const seedText = values.seed as string | undefined;
  const firstSeed =
    seedText === undefined
      ? 1
      : seedText === "random"
        ? randomInt(2 ** 47)
        : number("seed", seedText);
  const overrides: Record<string, unknown> = {};
  const repeat: string[] = [];
  if (values.steps !== undefined) {
    overrides.steps = number("steps", values.steps as string);
    repeat.push(`--steps ${values.steps}`);
  }
  for (const [flag, field] of Object.entries(simFlags)) {
    const text = (values as Record<string, unknown>)[flag] as string | undefined;
    if (text === undefined) continue;
    overrides[field] =
      field === "partitionPattern"
        ? (text as PartitionPattern)
        : field === "disk"
          ? (text as SimulationOptions["disk"])
          : number(flag, text);
    repeat.push(`--${flag} ${text}`);
  }
  return {
    firstSeed,
    seeds: values.seeds === undefined ? 1 : number("seeds", values.seeds as string),
    overrides: overrides as SimulationOverrides,
    repeatFlags: repeat.join(" "),
    trace: values.trace === true,
    verbose: values.verbose === true || values.seeds === undefined,
    json: values.json === true,
  };
}

function number(flag: string, text: string): number {
  const value = Number(text);
  if (text.trim() === "" || !Number.isFinite(value)) {
    throw new UsageError(`--${flag} needs a number, got ${JSON.stringify(text)}`);
  }
  return value;
}

function reproduce(cli: Cli, seed: number): string {
  return `pnpm sim --seed ${seed}${cli.repeatFlags === "" ? "" : ` ${cli.repeatFlags}`}`;
}

function report(cli: Cli, result: SimulationResult, out: (line: string) => void): void {
  const o = result.options;
  const ok = result.outcome === "ok";
  if (!ok || cli.verbose) {
    out(
      `seed=${o.seed} outcome=${result.outcome} steps=${result.steps} fingerprint=${result.fingerprint}`,
    );
    for (const line of formatOptions(o).split("\n")) out(line);
  }
  if (ok) {
    if (cli.verbose) out(summary(result));
    return;
  }
  if (result.violation !== null) {
    const v = result.violation;
    out(`VIOLATION ${v.kind}${v.node === null ? "" : ` at n${v.node}`}: ${v.detail}`);
  }
  if (result.livenessFailure !== null) out(`LIVENESS ${result.livenessFailure}`);
  if (result.outcome === "crash") {
    const error = result.error;
    out(`CRASH ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  }
  out(`last ${result.recentTrace.length} events:`);
  for (const line of result.recentTrace) out(`  ${line}`);
  if (result.violation?.kind === "linearizability") {
    out(`history: ${result.history.length} operations, e.g. the last 5:`);
    for (const op of result.history.slice(-5)) out(`  ${describeOperation(op)}`);
  }
  out(summary(result));
  out(`reproduce: ${reproduce(cli, o.seed)}`);
}

function summary(result: SimulationResult): string {
  const c = result.counts;
  const n = result.network;
  return (
    `  simulated ${result.simulatedMs}ms, ${result.coreSteps} reducer steps, max term ${c.maxTerm}, ` +
    `${c.leadersElected} leaders, ${c.committed} committed, ${c.acknowledged} acknowledged, ` +
    `${c.indeterminate} indeterminate, ${c.crashes} crashes, ${c.partitions} partitions, ` +
    `messages sent ${n.sent} delivered ${n.delivered} duplicated ${n.duplicated}, ` +
    `${c.slowWrites} slow writes, ${c.disksFilled} disks filled, ${c.storageFailures} storage failures` +
    membershipSummary(c.membershipChanges) +
    snapshotCrashSummary(c.snapshotCrashes) +
    (c.corruptions === 0 ? "" : `, ${c.corruptions} snapshot files damaged at rest`) +
    (c.amnesias === 0
      ? ""
      : `, ${c.amnesias} amnesias, ${c.lostLogReports} lost-log reports` +
        (result.excused === null
          ? ""
          : `, excused ${result.excused.kind}: ${result.excused.detail} (checks stopped)`)) +
    `${result.linearizabilityUnknown ? " (linearizability search gave up: unknown)" : ""}`
  );
}

function snapshotCrashSummary(s: SnapshotCrashCounts): string {
  const removing =
    s.removing === 0
      ? ""
      : `, ${s.removing} crashes while removing an old file (${s.biasedRemoving} right after a cut)`;
  if (s.writing + s.sending + s.receiving + s.biased === 0) return removing;
  return (
    `, crashes while writing/sending/receiving a snapshot ${s.writing}/${s.sending}/${s.receiving}` +
    ` (${s.biased} right after snapshot I/O)` +
    removing
  );
}

function membershipSummary(m: MembershipCounts): string {
  if (m.requested === 0) return "";
  const refused = Object.entries(m.refused).map(([reason, n]) => `${reason} ${n}`);
  return (
    `, membership changes requested ${m.requested} completed ${m.completed} (joint ${m.joint}, ` +
    `explicit leaves ${m.explicitLeaves}, leader removed ${m.leaderRemovals}, ` +
    `promoted once caught up ${m.caughtUpPromotions}) unknown ${m.unknown}` +
    (refused.length === 0 ? "" : ` refused: ${refused.join(", ")}`)
  );
}

const severity = { ok: 0, liveness: 1, crash: 2, correctness: 3 } as const;

/**
 * Runs the CLI; returns the exit code. `out` receives each output line; `core` is the reducer
 * seam (tests pass a planted defect to see the failure report and exit code).
 */
export async function main<S>(
  argv: readonly string[],
  out: (line: string) => void = console.log,
  core?: RaftCore<S>,
  io: CliIo = {},
): Promise<number> {
  let cli: Cli;
  try {
    cli = parse(argv);
  } catch (error) {
    if (error instanceof Help) {
      out(usage);
      return exitCodes.ok;
    }
    out(error instanceof Error ? error.message : String(error));
    if (!(error instanceof UsageError)) out("(pnpm sim --help lists the flags)");
    return exitCodes.usage;
  }
  const human = cli.json ? (io.diagnostics ?? console.error) : out;
  const progress = cli.seeds > 1 ? io.progress : undefined;
  const failedSeeds: number[] = [];
  progress?.start(cli.seeds);
  let steps = 0;
  let failures = 0;
  let worst: SimulationResult["outcome"] = "ok";
  const byOutcome = { correctness: 0, liveness: 0, crash: 0 };
  /** Runs with at least one crash in each of a snapshot's windows. */
  const snapshotCrashRuns = { writing: 0, sending: 0, receiving: 0, removing: 0 };
  for (let i = 0; i < cli.seeds; i++) {
    const seed = cli.firstSeed + i;
    let result: SimulationResult;
    try {
      const options = deriveOptions(seed, cli.overrides);
      result = await runSimulation<S>(options, {
        ...(core === undefined ? {} : { core }),
        ...(cli.trace ? { traceListener: human } : {}),
      });
    } catch (error) {
      progress?.stop();
      out(error instanceof Error ? error.message : String(error));
      return exitCodes.usage;
    }
    steps += result.steps;
    for (const window of ["writing", "sending", "receiving", "removing"] as const) {
      if (result.counts.snapshotCrashes[window] > 0) snapshotCrashRuns[window]++;
    }
    if (result.outcome !== "ok") progress?.pause();
    report(cli, result, human);
    if (result.outcome !== "ok") {
      progress?.resume();
      failedSeeds.push(seed);
      failures++;
      byOutcome[result.outcome]++;
      if (severity[result.outcome] > severity[worst]) worst = result.outcome;
    }
    progress?.update(i + 1, failures);
  }
  progress?.stop();
  if (failures > 0) {
    human(
      `failed: correctness=${byOutcome.correctness} liveness=${byOutcome.liveness} crash=${byOutcome.crash}`,
    );
  }
  if (cli.verbose && cli.seeds > 1) {
    const { writing, sending, receiving, removing } = snapshotCrashRuns;
    human(
      `runs with a crash while writing/sending/receiving a snapshot: ${writing}/${sending}/${receiving}` +
        `, while removing an old file: ${removing}`,
    );
  }
  human(`seeds=${cli.seeds} steps=${steps} violations=${failures}`);
  if (cli.json) {
    out(
      JSON.stringify({
        firstSeed: cli.firstSeed,
        seeds: cli.seeds,
        steps,
        violations: failures,
        ...byOutcome,
        failedSeeds,
        snapshotCrashRuns,
        exitCode: exitCodes[worst],
      }),
    );
  }
  return exitCodes[worst];
}

// Run when executed directly (pnpm sim), not when imported by a test.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const progress = process.stderr.isTTY === true ? terminalProgress() : undefined;
  process.exitCode = await main(process.argv.slice(2), console.log, undefined, {
    ...(progress === undefined ? {} : { progress }),
  });
}
