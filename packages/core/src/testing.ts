// @flotilla/core/testing: for implementers of Storage. The conformance suite every Storage must
// pass (framework-agnostic: pass it your test framework's describe/it/afterEach), and builders
// of entries, snapshots and batches for storage tests. Not needed by applications.

export { crc32 } from "./crc32.js";
export { MemorySnapshots } from "./memory-snapshots.js";
export { ConformanceFailure, deepEqual } from "./testing/assert.js";
export {
  batch,
  command,
  commands,
  hard,
  membershipAB,
  persistStored,
  snapshotAt,
  snapshotData,
  streamOf,
} from "./testing/fixtures.js";
export {
  describeStorageConformance,
  type StorageHarness,
  type TestFramework,
} from "./testing/storage-conformance.js";
