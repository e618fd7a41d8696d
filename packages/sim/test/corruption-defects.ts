import { type FileStorageRules, shippedStorageRules } from "@flotilla/storage-file";

// A planted violation of FileStorage's read-back check (storage-rules.ts), through the
// simulator's `storageRules` seam: nothing here touches the shipped storage.

/**
 * The checksum skipped: a snapshot's bytes read back are taken as whole whatever their CRC-32
 * (at open and at every restore), so a sector damaged at rest reaches the state machine.
 */
export const skipsSnapshotChecksum: FileStorageRules = {
  ...shippedStorageRules,
  snapshotIntact: () => true,
};

/**
 * The chunk check skipped: a block of a snapshot read to send is taken as whole whatever its
 * CRC-32, so a leader whose snapshot file went bad after it was first checked sends the damaged
 * bytes.
 */
export const sendsUncheckedSnapshotChunks: FileStorageRules = {
  ...shippedStorageRules,
  snapshotBlockIntact: () => true,
};
