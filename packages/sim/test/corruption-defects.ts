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

/**
 * Only a clean cut is a torn write (the rule before scrambled sectors were modelled): damage at
 * the end of the log with garbage, not zeros, after it is refused as corruption, so a node whose
 * last write a crash tore into garbage never opens its storage again.
 */
export const refusesTornGarbage: FileStorageRules = {
  ...shippedStorageRules,
  tornTail: (damage) => damage.zerosAfter,
};

/**
 * Any damage at the end of a segment's records is cut as a torn write, whole records after it or
 * not: acknowledged entries after a sector damaged at rest in the middle of the log are dropped.
 */
export const cutsDamageBeforeWholeRecords: FileStorageRules = {
  ...shippedStorageRules,
  tornTail: () => true,
};
