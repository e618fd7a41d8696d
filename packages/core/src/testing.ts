// @flotilla/core/testing: tools for those who implement a Storage. `describeStorageConformance`
// runs the one behavioural suite every Storage must pass (MemoryStorage and FileStorage do), with
// vitest (an optional peer dependency: only this entry point needs it).

export {
  batch,
  command,
  commands,
  describeStorageConformance,
  hard,
  membershipAB,
  type StorageHarness,
  snapshotAt,
} from "./testing/storage-conformance.js";
