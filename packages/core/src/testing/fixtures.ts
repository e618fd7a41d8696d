// Small builders of entries, snapshots, hard states and batches for storage tests.

import { utf8Encode } from "../codec/utf8.js";
import type { Entry, HardState, Membership, Snapshot } from "../entry.js";
import { type Index, type NodeId, nodeId, type Term } from "../ids.js";
import type { PersistBatch } from "../interfaces.js";

/** A command entry whose data is the UTF-8 of `text` (default `e<index>`). */
export function command(index: number, term: number, text = `e${index}`): Entry {
  return {
    kind: "command",
    index: index as Index,
    term: term as Term,
    data: bytesOf(text),
  };
}

/** Command entries `from`..`to` (inclusive), all of `term`. */
export function commands(from: number, to: number, term: number): Entry[] {
  const out: Entry[] = [];
  for (let i = from; i <= to; i++) out.push(command(i, term));
  return out;
}

/** A two-voter membership (a, b), for snapshots in tests. */
export const membershipAB: Membership = { voters: [nodeId("a"), nodeId("b")], learners: [] };

/** A snapshot at (`index`, `term`) of voters a and b, whose data is the UTF-8 of `text`. */
export function snapshotAt(index: number, term: number, text = `s${index}`): Snapshot {
  return {
    index: index as Index,
    term: term as Term,
    membership: membershipAB,
    data: bytesOf(text),
  };
}

/** A hard state from plain numbers and strings. */
export function hard(term: number, vote: string | null, commit: number): HardState {
  return { term: term as Term, vote: vote as NodeId | null, commit: commit as Index };
}

/** A batch of the given parts, with no entries unless given. */
export function batch(parts: Partial<PersistBatch>): PersistBatch {
  return { entries: [], ...parts };
}

function bytesOf(text: string): Uint8Array {
  const bytes = utf8Encode(text);
  if (bytes === undefined) throw new TypeError(`not well-formed text: ${JSON.stringify(text)}`);
  // A copy of its own: the codec may hand out shared bytes, and tests change what they get.
  return bytes.slice();
}
