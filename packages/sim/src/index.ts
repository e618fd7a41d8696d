// The public API of @flotilla/sim: the deterministic cluster simulator, its checkers and the
// linearizability checker. Everything not exported here is internal.

export { deriveOptions } from "./derive-options.js";
export { HistoryError, SimulationOptionsError } from "./errors.js";
export { simFlags } from "./flags.js";
export type { CheckOptions, CheckResult } from "./linearizability/check.js";
export { checkLinearizability } from "./linearizability/check.js";
export type { HistoryOperation } from "./linearizability/history.js";
export { describeOperation } from "./linearizability/history.js";
export { kvKeyModel } from "./linearizability/kv-model.js";
export type { Model } from "./linearizability/model.js";
export type { MembershipCounts } from "./membership-workload.js";
export type { ShellRules } from "./node-turns.js";
export type {
  DiskKind,
  NodeCount,
  PartitionPattern,
  SimulationOptions,
  SimulationOverrides,
} from "./options.js";
export { formatOptions } from "./options.js";
export type { RaftCore } from "./raft-core.js";
export { flotillaCore } from "./raft-core.js";
export type {
  RunOptions,
  ScheduledFault,
  SimulationOutcome,
  SimulationResult,
} from "./simulator.js";
export { runSimulation } from "./simulator.js";
export type { SnapshotCrashCounts } from "./snapshot-crashes.js";
export { validateOptions } from "./validate-options.js";
export type { Violation, ViolationKind } from "./violation.js";
