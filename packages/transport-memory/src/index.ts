// The public API of @flotilla/transport-memory. Everything not exported here is internal.

export { HistoryError, KvCommandError, NetworkConfigError, NetworkMisuseError } from "./errors.js";
export { decodeKvCommand, encodeKvCommand } from "./kv/kv-command.js";
export type { KvState } from "./kv/kv-state-machine.js";
export {
  applyKv,
  decodeKvSnapshot,
  emptyKvState,
  encodeKvSnapshot,
  KvStateMachine,
} from "./kv/kv-state-machine.js";
export type { LatencyDistribution } from "./latency.js";
export type { CheckOptions, CheckResult } from "./linearizability/check.js";
export { checkLinearizability } from "./linearizability/check.js";
export type { HistoryOperation } from "./linearizability/history.js";
export { describeOperation } from "./linearizability/history.js";
export type { KvInput, KvOutput, KvValue } from "./linearizability/kv-model.js";
export { kvKeyModel } from "./linearizability/kv-model.js";
export type { Model } from "./linearizability/model.js";
export type { LinkOptions } from "./link-options.js";
export { linkDefaults } from "./link-options.js";
export { MemoryTransport } from "./memory-transport.js";
export { Network } from "./network.js";
export type { DropReason, NetworkStats } from "./network-stats.js";
export { dropReasons } from "./network-stats.js";
export type {
  ClockHooks,
  Delivery,
  MessageCodec,
  NetworkEvent,
  NetworkOptions,
} from "./network-types.js";
export { bridge, isolateOne, majorityMinority } from "./partitions.js";
export { Prng } from "./prng.js";
export type { RealTimeHandle, RealTimeOptions } from "./real-time.js";
export { startRealTime } from "./real-time.js";
export { SimulationOptionsError } from "./simulator/errors.js";
export type {
  PartitionPattern,
  SimulationOptions,
  SimulationOverrides,
} from "./simulator/options.js";
export { deriveOptions, formatOptions, validateOptions } from "./simulator/options.js";
export type { RaftCore } from "./simulator/raft-core.js";
export { flotillaCore } from "./simulator/raft-core.js";
export type {
  RunOptions,
  ScheduledFault,
  SimulationOutcome,
  SimulationResult,
} from "./simulator/simulator.js";
export { runSimulation } from "./simulator/simulator.js";
export type { Violation, ViolationKind } from "./simulator/violation.js";
export type { MessageFilter } from "./topology.js";
