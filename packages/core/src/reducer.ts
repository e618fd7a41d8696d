// @flotilla/core/reducer: the pure core for those who embed it without the driver (a custom event
// loop, a model checker, the browser playground). `init` a state, `step` it with events, carry out
// the effects it returns in order (docs/embedding-the-reducer.md). Everything here is also on the
// root entry point; this one holds only what embedding the reducer needs.

export type { Config, ConfigInput } from "./config.js";
export { configDefaults, validateConfig } from "./config.js";
export type {
  Effect,
  EffectType,
  PersistEffect,
  ProposalRejection,
  ReadRejection,
  Role,
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
  InvalidEventError,
  InvalidValueError,
  UnknownEventError,
} from "./errors.js";
export type { Event, EventType, ReadConsistency } from "./event.js";
export type { Index, NodeId, Term } from "./ids.js";
export { index, nodeId, term } from "./ids.js";
export type { Message, MessageType } from "./message.js";
export { init, type RaftState, type StepResult, status, step } from "./opaque-state.js";
export type { ProgressState } from "./progress.js";
export type { PeerProgress, Status } from "./status.js";
