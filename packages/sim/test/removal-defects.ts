import { type FileStorageRules, shippedStorageRules } from "@flotilla/storage-file";

// Planted violations of the two guards of FileStorage's gradual removal of files no longer in
// force (packages/storage-file/src/gradual-removal.ts), through FileStorage's rules.

/**
 * A log segment a snapshot covers is cut down under its own name, without first being renamed to
 * a temp name (durably): a crash midway leaves a segment torn before the end of the log, which the
 * next open reads as log and refuses.
 */
export const cutsCoveredSegmentInPlace: FileStorageRules = {
  ...shippedStorageRules,
  setsAsideCoveredSegments: false,
};

/**
 * A superseded snapshot's data file is cut down at once, while a read (a chunk read to send, a
 * restore) still uses it: the read finds bytes missing.
 */
export const cutsSnapshotUnderReads: FileStorageRules = {
  ...shippedStorageRules,
  removalWaitsForReads: false,
};
