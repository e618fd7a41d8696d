// @flotilla/core/codec: the binary wire format of Raft messages and log entries, for transports
// and storage that need bytes (docs/writing-a-transport.md). Decoding never throws anything but a
// DecodeError, whatever the bytes. Also on the root entry point.

export {
  DecodeError,
  decodeEntry,
  decodeMessage,
  EncodeError,
  encodeEntry,
  encodeMessage,
} from "./codec/index.js";
export type { Entry } from "./entry.js";
export type {
  AppendEntries,
  AppendEntriesResponse,
  Envelope,
  InstallSnapshot,
  InstallSnapshotResponse,
  Message,
  MessageType,
  ReadIndexRequest,
  ReadIndexResponse,
  RequestVote,
  RequestVoteResponse,
} from "./message.js";
