// The public API of @flotilla/core. Everything not exported here is internal.

export {
  DecodeError,
  decodeEntry,
  decodeMessage,
  EncodeError,
  encodeEntry,
  encodeMessage,
} from "./codec/index.js";
export type {
  MembershipChange,
  MembershipOperation,
  MembershipRefusal,
  MembershipRefusalReason,
  MembershipTransition,
} from "./confchange.js";
export type { Config, ConfigInput } from "./config.js";
export { configDefaults, validateConfig } from "./config.js";
export { bufferedStateMachine, readAllBytes } from "./driver/buffered-state-machine.js";
export type { CatchUpOptions } from "./driver/catch-up.js";
export {
  EntryTooLargeError,
  LeadershipLostError,
  LeadershipTransferFailedError,
  LeadershipTransferRefusedError,
  LeadershipTransferringError,
  LearnerNotCaughtUpError,
  MembershipChangeRefusedError,
  NotLeaderError,
  OutcomeUnknownError,
  OverloadedError,
  StateMachineFailedError,
  SteppedDownError,
  StoppedError,
  StorageFailedError,
  TimeoutError,
} from "./driver/errors.js";
export type { HistogramSnapshot } from "./driver/histogram.js";
export { consoleLogger, type LogFields, type Logger, type LogLevel } from "./driver/logger.js";
export { createNode } from "./driver/node.js";
export { driverDefaults } from "./driver/node-options.js";
export { hostScheduler, type Scheduler, type TimerHandle } from "./driver/scheduler.js";
export type { CountsByType, NodeStats } from "./driver/stats.js";
export type {
  ChangeMembershipOptions,
  FlotillaNode,
  NodeEvents,
  NodeOptions,
  NodePhase,
  NodeStatus,
  ProposeOptions,
  ReadOptions,
  TransferLeadershipOptions,
} from "./driver/types.js";
export { NoLeaderError, ready, type WaitOptions, whenLeader } from "./driver/when-leader.js";
export type {
  Effect,
  EffectType,
  PersistEffect,
  ProposalRejection,
  ReadRejection,
  Role,
  TransferRefusal,
} from "./effect.js";
export type {
  CommandEntry,
  Entry,
  HardState,
  Membership,
  MembershipEntry,
  NoopEntry,
  Persisted,
  Snapshot,
} from "./entry.js";
export {
  ConfigError,
  FlotillaError,
  type FlotillaErrorOptions,
  InvalidEventError,
  InvalidValueError,
  UnknownEventError,
} from "./errors.js";
export type { Event, EventType, ReadConsistency } from "./event.js";
export type { Index, NodeId, Term } from "./ids.js";
export { index, nodeId, term } from "./ids.js";
export type {
  BufferedStateMachine,
  PersistBatch,
  SnapshotStream,
  StateMachine,
  Storage,
  StoredSnapshot,
  Transport,
} from "./interfaces.js";
export { MemoryStorage } from "./memory-storage.js";
export type {
  AppendEntries,
  AppendEntriesResponse,
  Envelope,
  InstallSnapshot,
  InstallSnapshotResponse,
  Message,
  MessageType,
  ReadIndexRequest,
  ReadIndexResponse,
  RequestVote,
  RequestVoteResponse,
  SnapshotRequest,
  TimeoutNow,
} from "./message.js";
export { init, type RaftState, type StepResult, status, step } from "./opaque-state.js";
export type { ProgressState } from "./progress.js";
export type { PeerProgress, Status } from "./status.js";
export { checkPersistBatch, type StorageTip } from "./storage-check.js";
export {
  InvalidPersistError,
  SnapshotDamagedError,
  StorageClosedError,
} from "./storage-errors.js";
