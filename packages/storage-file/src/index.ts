// The public API of @flotilla/storage-file. Everything not exported here is internal.

export {
  StorageCorruptionError,
  StorageFullError,
  StorageLockedError,
  StorageNeedsReopenError,
} from "./errors.js";
export { FileStorage, type FileStorageOptions, openFileStorage } from "./file-storage.js";
export type { FileSystem, ReadableFile, WritableFile } from "./fs.js";
export type { RemovalPacing } from "./gradual-removal.js";
export type { TailDamage } from "./record.js";
export { type FileStorageRules, shippedStorageRules } from "./storage-rules.js";
