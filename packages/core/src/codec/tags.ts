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
  timeoutNow: 7,
  snapshotRequest: 10,
} as const satisfies Record<MessageType, number>;

/**
 * The first byte of a requestVote body. 0 and 1 were the `preVote` bool of the first release
 * (which refuses 2 as a malformed bool, so a transfer vote is dropped by such a node, never
 * misread as an ordinary one).
 */
export const voteKinds = { vote: 0, preVote: 1, transferVote: 2 } as const;

/** A standalone entry (a log record), never a message. */
export const entryRecordTag = 16;

export const entryKinds = {
  command: 0,
  noop: 1,
  membership: 2,
} as const satisfies Record<Entry["kind"], number>;
