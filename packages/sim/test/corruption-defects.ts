import type { FileStorageRules } from "@flotilla/storage-file";

// A planted violation of FileStorage's read-back check (storage-rules.ts), through the
// simulator's `storageRules` seam: nothing here touches the shipped storage.

/**
 * The checksum skipped: a snapshot's bytes read back are taken as whole whatever their CRC-32
 * (at open and at every restore), so a sector damaged at rest reaches the state machine.
 */
export const skipsSnapshotChecksum: FileStorageRules = {
  snapshotIntact: () => true,
};
