// The public API of @flotilla/kv-model: the key-value state machine that examples/kv serves and
// the simulator replicates, and its command codec. Everything not exported here is internal.

export { KvCommandError } from "./errors.js";
export type { KvPutParts } from "./kv-command.js";
export {
  decodeKvCommand,
  decodeKvPut,
  encodeKvCommand,
  kvPutValueStart,
} from "./kv-command.js";
export {
  compareKeys,
  decodeKvSnapshot,
  encodeKvSnapshot,
  encodeKvSnapshotSlices,
  KvSnapshotDecoder,
  kvSnapshotRecordHeaderBytes,
  kvSnapshotSliceBytesDefault,
  writeKvSnapshotRecordHeader,
} from "./kv-snapshot.js";
export type { KvState } from "./kv-state-machine.js";
export { applyKv, emptyKvState, KvStateMachine } from "./kv-state-machine.js";
export type { KvInput, KvOutput, KvValue } from "./kv-types.js";
