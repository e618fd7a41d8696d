// @flotilla/storage-file/testing: what tests and the cluster simulator need to run FileStorage
// on a simulated disk. Not for production use.

export { segmentRecordSpans } from "./record.js";
export { SimFileSystem } from "./sim-fs/sim-file-system.js";
export {
  type CrashMode,
  SimCrashError,
  type SimFileSystemOptions,
  type SimIoKind,
  type SimIoOp,
} from "./sim-fs/sim-fs-types.js";
export { shippedStorageRules } from "./storage-rules.js";
