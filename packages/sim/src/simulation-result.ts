import type { Network } from "@flotilla/transport-memory";
import type { FaultInjector } from "./fault-injector.js";
import type { KvCheckpoints } from "./kv-checkpoints.js";
import type { KvClients } from "./kv-clients.js";
import type { MembershipTally } from "./membership-workload.js";
import type { SimulationOptions } from "./options.js";
import type { ProcessFaults } from "./process-faults.js";
import type { SafetyChecker } from "./safety-checker.js";
import type { SimulationOutcome, SimulationResult } from "./simulation-types.js";
import type { SnapshotCrashCounts } from "./snapshot-crashes.js";
import type { SpinChecker } from "./spin-checker.js";
import type { StepObserver } from "./step-observer.js";
import type { Trace } from "./trace.js";

/** Everything a finished run is read from. */
export interface RunRecord {
  readonly options: SimulationOptions;
  readonly network: Network;
  readonly checker: SafetyChecker;
  readonly spin: SpinChecker;
  readonly trace: Trace;
  readonly clients: KvClients;
  readonly checkpoints: KvCheckpoints;
  readonly faults: FaultInjector;
  readonly processFaults: ProcessFaults;
  readonly membershipTally: MembershipTally;
  readonly observer: StepObserver;
  readonly nodes: readonly { readonly term: number; readonly storageFailures: number }[];
  readonly steps: number;
  readonly slowWrites: number;
  readonly snapshotCrashes: SnapshotCrashCounts;
}

/** The result of a run that ended with `outcome`. */
export function simulationResult(
  run: RunRecord,
  outcome: SimulationOutcome,
  error: unknown,
  livenessFailure: string | null,
  unknown: boolean,
): SimulationResult {
  const { checker, clients, faults, nodes } = run;
  const history = clients.history;
  return {
    options: run.options,
    outcome,
    violation: checker.violation,
    excused: checker.excused,
    livenessFailure: outcome === "liveness" ? livenessFailure : null,
    error,
    steps: run.steps,
    coreSteps: run.observer.coreSteps,
    simulatedMs: run.network.nowMs,
    fingerprint: run.trace.fingerprint,
    recentTrace: run.trace.recent(),
    history,
    linearizabilityUnknown: unknown,
    counts: {
      crashes: faults.crashes,
      partitions: faults.partitions,
      transfers: faults.transfers,
      membershipChanges: run.membershipTally.counts(),
      leadersElected: checker.leadersElected,
      maxTerm: Math.max(...nodes.map((n) => n.term)),
      committed: checker.commitIndex,
      acknowledged: history.filter((op) => op.outcome === "ok").length,
      indeterminate: history.filter((op) => op.outcome === "indeterminate").length,
      kvCheckpointsCompared: run.checkpoints.comparisons,
      amnesias: faults.amnesias,
      corruptions: faults.corruptions + faults.runningCorruptions,
      processFaults: {
        pauses: run.processFaults.pauses,
        clockFaults: run.processFaults.clockFaults,
        timeoutNowFaults: run.processFaults.timeoutNowFaults,
        forwardedReadCrashes: run.processFaults.forwardedReadCrashes,
      },
      slowWrites: run.slowWrites,
      disksFilled: faults.disksFilled,
      storageFailures: nodes.reduce((sum, node) => sum + node.storageFailures, 0),
      lostLogReports: run.observer.lostLogReports,
      spinProbesPerSecondMax: run.spin.maxPerSecond,
      readsServed: { ...clients.readsServed },
      snapshotCrashes: run.snapshotCrashes,
    },
    peakMessagesPerSecond: run.spin.peakMessagesPerSecond.slice(),
    network: run.network.stats(),
  };
}
