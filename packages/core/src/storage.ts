// @flotilla/core/storage: what a Storage implementer needs (docs/writing-a-storage.md): the
// interface, the shapes it persists and loads, the batch rules every implementation enforces
// (`checkPersistBatch`) and its errors, all also on the root entry point; and, only here, the
// builders of the configuration shape it gives back (`membershipOf`, `normalMembership`). The
// conformance suite that holds an implementation to the contract is on @flotilla/core/testing.

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
export type { Index, NodeId, Term } from "./ids.js";
export type { PersistBatch, SnapshotStream, Storage } from "./interfaces.js";
export { membershipOf, normalMembership } from "./membership.js";
export { MemoryStorage } from "./memory-storage.js";
export { checkPersistBatch, type StorageTip } from "./storage-check.js";
export { InvalidPersistError, StorageClosedError } from "./storage-errors.js";
