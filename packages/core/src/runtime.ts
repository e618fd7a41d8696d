// @flotilla/core/runtime: the node runtime for those who drive a node themselves (the simulator,
// other shells). Application authors use `createNode` from the root entry point instead.

export type { ProportionalSnapshots, SnapshotPolicy } from "./driver/apply-tracker.js";
export { ApplyTracker } from "./driver/apply-tracker.js";
export {
  type CatchUpHost,
  type CatchUpView,
  promoteWhenCaughtUp,
} from "./driver/catch-up.js";
export type { IoCompletion, IoRequest, IoRequestType } from "./driver/io-request.js";
export { MembershipChangeRegistry } from "./driver/membership-changes.js";
export { lastWritten, mergePersistEffects } from "./driver/merge-persist.js";
export { type SnapshotOptions, snapshotPolicyOf } from "./driver/node-options.js";
export { Notifier } from "./driver/notifier.js";
export { ProposalRegistry } from "./driver/proposals.js";
export { ReadRegistry, type ReadSink } from "./driver/reads.js";
export type { Reducer, StepOutput } from "./driver/reducer.js";
export { raftReducer } from "./driver/reducer.js";
export type { CoreSteps, RuntimeHooks, RuntimeOptions, Turn } from "./driver/runtime.js";
export { NodeRuntime } from "./driver/runtime.js";
export type { InboxMark, RuntimeRules } from "./driver/runtime-rules.js";
export { shippedRules } from "./driver/runtime-rules.js";
export {
  SnapshotIo,
  type SnapshotIoHost,
  type SnapshotSource,
  type SnapshotStorage,
  snapshotChunkReadEvent,
} from "./driver/snapshot-io.js";
export { TickClock } from "./driver/tick-clock.js";
export { type TransferNotice, TransferWaiter } from "./driver/transfer-waiter.js";
export type {
  Notice,
  Outcome,
  SnapshotIoEffect,
  SnapshotNote,
  TurnReport,
  TurnWork,
} from "./driver/turn-work.js";
// The reducer typed on the full state record, for shells and tools that read a state's fields
// (the simulator, its checkers, tests). Applications use the opaque `RaftState` instead.
export { init } from "./init.js";
export { internals } from "./opaque-state.js";
export type { RaftState as RaftStateInternals, ReadState } from "./state.js";
export { status } from "./status.js";
export type { StepResult as StepResultInternals } from "./step.js";
export { step } from "./step.js";
