// The numbers of the wire format (documented in codec.ts). Changing any of them changes the format:
// bump `formatVersion` and keep decoding the old one.

import type { Entry } from "../entry.js";
import type { MessageType } from "../message.js";

/** "FL": lets a receiver tell a Flotilla encoding from stray bytes at a glance. */
export const magic0 = 0x46;
export const magic1 = 0x4c;
export const formatVersion = 1;
export const headerBytes = 4;

export const messageTags = {
  requestVote: 1,
  requestVoteResponse: 2,
  appendEntries: 3,
  appendEntriesResponse: 4,
  installSnapshot: 5,
  installSnapshotResponse: 6,
  readIndexRequest: 8,
  readIndexResponse: 9,
} as const satisfies Record<MessageType, number>;

/** A standalone entry (a log record), never a message. */
export const entryRecordTag = 16;

export const entryKinds = {
  command: 0,
  noop: 1,
  membership: 2,
} as const satisfies Record<Entry["kind"], number>;
