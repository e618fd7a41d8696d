// The rules every Storage applies to a persist batch before touching anything, shared by
// MemoryStorage and @flotilla/storage-file so that the two can never disagree about what is
// misuse. A batch is checked against the storage's current tip, in the order it will be applied
// (snapshot, truncation, entries, hard state; see PersistEffect), and is refused as a whole.
// A storage may make the parts of a batch durable in another order (FileStorage makes a
// truncation that comes with a snapshot durable first), as long as a crash half-way leaves a
// state that a prefix of valid batches could have left.

import { utf8Encode } from "./codec/utf8.js";
import type { Entry, Membership } from "./entry.js";
import type { Index, NodeId, Term } from "./ids.js";
import type { PersistBatch } from "./interfaces.js";
import { InvalidPersistError } from "./storage-errors.js";

/** What the checks need to know about stored state. */
export type StorageTip = {
  /** The latest snapshot's index and term, 0 and 0 without one. */
  readonly snapshotIndex: Index;
  readonly snapshotTerm: Term;
  /** The last log entry's index; equals `snapshotIndex` when the log after the snapshot is empty. */
  readonly lastIndex: Index;
  /** The stored hard state's term (0 if none). */
  readonly hardStateTerm: Term;
  /** The term of the stored entry at `index`, for snapshotIndex < index <= lastIndex. */
  termAt(index: Index): Term;
};

/** Throws InvalidPersistError if `batch` must not be applied on top of `tip`. */
export function checkPersistBatch(tip: StorageTip, batch: PersistBatch): void {
  let snapshotIndex: number = tip.snapshotIndex;
  let snapshotTerm: number = tip.snapshotTerm;
  let lastIndex: number = tip.lastIndex;
  const { snapshot, truncateFrom, entries, hardState } = batch;
  if (snapshot !== undefined) {
    requireCount(snapshot.index, "snapshot.index");
    requireCount(snapshot.term, "snapshot.term");
    requireCount(snapshot.size, "snapshot.size");
    const checksum = snapshot.checksum;
    if (!Number.isSafeInteger(checksum) || checksum < 0 || checksum > 0xffffffff) {
      fail(`snapshot.checksum must be a 32-bit CRC, got ${snapshot.checksum}`);
    }
    checkMembership(snapshot.membership, "snapshot.membership");
    if (snapshot.index < snapshotIndex) {
      fail(`snapshot.index ${snapshot.index} is older than the stored snapshot ${snapshotIndex}`);
    }
    checkSuffixAfterSnapshot(tip, snapshot.index, snapshot.term, truncateFrom);
    snapshotIndex = snapshot.index;
    snapshotTerm = snapshot.term;
    lastIndex = Math.max(lastIndex, snapshotIndex);
  }
  if (truncateFrom !== undefined) {
    requireCount(truncateFrom, "truncateFrom");
    // Entries covered by a snapshot are committed; no correct leader ever asks to replace them
    // (Leader Completeness, Raft paper §5.4), so such a request is a bug in the caller.
    if (truncateFrom <= snapshotIndex) {
      fail(`truncateFrom ${truncateFrom} reaches into the snapshot (index ${snapshotIndex})`);
    }
    lastIndex = Math.min(lastIndex, truncateFrom - 1);
  }
  const termBefore = lastIndex === snapshotIndex ? snapshotTerm : tip.termAt(lastIndex as Index);
  checkEntries(entries, lastIndex, termBefore);
  if (hardState !== undefined) {
    requireCount(hardState.term, "hardState.term");
    requireCount(hardState.commit, "hardState.commit");
    if (hardState.vote !== null && (typeof hardState.vote !== "string" || hardState.vote === "")) {
      fail("hardState.vote must be a non-empty node id or null");
    }
    // A node's term never goes back (Raft paper Figure 2: currentTerm increases monotonically).
    if (hardState.term < tip.hardStateTerm) {
      fail(`hardState.term ${hardState.term} is below the stored term ${tip.hardStateTerm}`);
    }
  }
}

/**
 * Raft §7: "If existing log entry has same index and term as snapshot's last included entry,
 * retain log entries following it [...] Otherwise discard the entire log". The stored entries
 * after a snapshot that disagrees with the entry at its index do not follow it; the batch must
 * truncate all of them (truncateFrom = index + 1), so that the storage never holds, not even
 * across a crash half-way through the batch, a snapshot followed by entries that do not follow it.
 */
function checkSuffixAfterSnapshot(
  tip: StorageTip,
  index: number,
  term: number,
  truncateFrom: Index | undefined,
): void {
  if (index >= tip.lastIndex) return; // nothing stored after it
  const storedTerm = index === tip.snapshotIndex ? tip.snapshotTerm : tip.termAt(index as Index);
  if (storedTerm === term || truncateFrom === index + 1) return;
  fail(
    `snapshot at ${index} (term ${term}) disagrees with the stored entry there (term ${storedTerm}): ` +
      `the batch must truncate the entries after it (truncateFrom ${index + 1})`,
  );
}

function checkEntries(entries: readonly Entry[], lastIndex: number, termBefore: number): void {
  if (!Array.isArray(entries)) fail("entries must be an array");
  let expectedIndex = lastIndex + 1;
  let previousTerm = termBefore;
  for (const entry of entries) {
    requireCount(entry.index, "entry.index");
    requireCount(entry.term, "entry.term");
    if (entry.index !== expectedIndex) {
      fail(`entry ${entry.index} is not contiguous with the log (expected ${expectedIndex})`);
    }
    // Terms never decrease along a Raft log: each leader appends in its own, newer term (§5.3).
    if (entry.term < previousTerm) {
      fail(`entry ${entry.index} has term ${entry.term}, below the term ${previousTerm} before it`);
    }
    checkKind(entry);
    expectedIndex += 1;
    previousTerm = entry.term;
  }
}

function checkKind(entry: Entry): void {
  switch (entry.kind) {
    case "command":
      if (!(entry.data instanceof Uint8Array)) fail(`entry ${entry.index}: data must be bytes`);
      return;
    case "noop":
      return;
    case "membership":
      checkMembership(entry.membership, `entry ${entry.index}: membership`);
      return;
    default: {
      const never: never = entry;
      fail(`unknown entry kind ${JSON.stringify((never as { kind: unknown }).kind)}`);
    }
  }
}

/**
 * A durable storage must be able to write the membership and read it back. Refused here, before
 * anything is written: found while encoding, it would leave a batch half applied.
 */
function checkMembership(membership: Membership, field: string): void {
  if (typeof membership !== "object" || membership === null) fail(`${field} is missing`);
  checkIds(membership.voters, `${field}.voters`);
  checkIds(membership.learners, `${field}.learners`);
  if (membership.outgoing !== undefined) checkIds(membership.outgoing, `${field}.outgoing`);
}

function checkIds(ids: readonly NodeId[], field: string): void {
  if (!Array.isArray(ids)) fail(`${field} must be an array of node ids`);
  for (const id of ids) {
    // utf8Encode refuses a lone UTF-16 surrogate, which has no UTF-8 form (as the codec does).
    if (typeof id !== "string" || id === "" || utf8Encode(id) === undefined) {
      fail(`${field} holds ${JSON.stringify(id)}, not a node id (a non-empty well-formed string)`);
    }
  }
}

function requireCount(value: number, field: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    fail(`${field} must be a non-negative safe integer, got ${String(value)}`);
  }
}

function fail(message: string): never {
  throw new InvalidPersistError(message);
}
