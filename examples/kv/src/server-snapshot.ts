// The server's snapshot as a stream (the envelope of member-command.ts, then the key-value
// store's slices), so that neither taking nor restoring one holds the whole state in one buffer.

import type { SnapshotStream } from "@flotilla/core";
import type { MemberAddresses, MemberRecord } from "./address-book.js";
import {
  decodeServerSnapshot,
  encodeServerSnapshot,
  serverSnapshotHeadBytes,
} from "./member-command.js";

/** The envelope holding `records`, then every slice of `kv`. */
export async function* serverSnapshotStream(
  records: readonly MemberRecord[],
  kv: SnapshotStream,
): SnapshotStream {
  yield encodeServerSnapshot(records, new Uint8Array(0));
  yield* kv;
}

/**
 * Reads the envelope off the front of `stream` (cut at any byte) and returns its records and the
 * key-value snapshot that follows, still streaming. Throws MemberCommandError for a bad envelope.
 */
export async function splitServerSnapshot(stream: SnapshotStream): Promise<{
  readonly records: Map<string, MemberAddresses>;
  readonly kv: SnapshotStream;
}> {
  const iterator = stream[Symbol.asyncIterator]();
  let head: Uint8Array = new Uint8Array(0);
  for (;;) {
    const need = serverSnapshotHeadBytes(head);
    if (need !== null && head.length >= need) break;
    const next = await iterator.next();
    if (next.done === true) break; // decodeServerSnapshot tells a truncated envelope
    head = concat(head, next.value);
  }
  const { records, kv } = decodeServerSnapshot(head);
  return { records, kv: rest(kv, iterator) };
}

async function* rest(first: Uint8Array, iterator: AsyncIterator<Uint8Array>): SnapshotStream {
  if (first.length > 0) yield first;
  for (let next = await iterator.next(); next.done !== true; next = await iterator.next()) {
    yield next.value;
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
