// The key-value store as the server's replicated state machine. It speaks the KV command format of
// @flotilla/kv-model (the same bytes the simulator proposes and its linearizability model
// describes) and its snapshot format, but keeps its own structure: that package's KvStateMachine
// copies the whole map on every write, which suits a simulator's handful of keys, not a server.
//
// Large state (hundreds of megabytes) shapes it. The keys live in a copy-on-write B+ tree
// (sorted-btree): `capture()` freezes the current state in O(1) by sharing the tree, and a write
// after it copies only the few nodes on its own path, so a snapshot costs no second copy of the
// state and the store keeps applying while the snapshot is read. The values are not in the JS
// heap: each key's record (its `put` command, framed as in a snapshot) lives in a slab outside
// it (record-arena.ts), and the tree maps the key to the record's number, so a garbage
// collection's work is the keys', not the state's. The snapshot's bytes are those records copied
// out in key order (the snapshot format's order, for free) as an async stream of slices with a
// yield to the event loop between them, so no slice holds the loop for more than about a
// millisecond. Restoring consumes such a stream the same way, copying records in undecoded.

import { isUtf8 } from "node:buffer";
import { hash } from "node:crypto";
import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import type { Index, SnapshotStream, StateMachine } from "@flotilla/core";
import {
  compareKeys,
  decodeKvCommand,
  decodeKvPut,
  encodeKvCommand,
  KvCommandError,
  type KvOutput,
  type KvPutParts,
  KvSnapshotDecoder,
  kvPutValueStart,
  kvSnapshotRecordHeaderBytes,
  kvSnapshotSliceBytesDefault,
} from "@flotilla/kv-model";
import sortedBtree from "sorted-btree";
import {
  type FrozenSlabs,
  framedRecordIn,
  RecordArena,
  type RecordHandle,
} from "./record-arena.js";

// sorted-btree is CommonJS with `exports.default`: Node's ESM import gives `module.exports`, so the
// class is its `default`; vitest's interop hands over the class itself.
type BTreeClass = typeof sortedBtree.default;
const BTree: BTreeClass =
  (sortedBtree as { default?: BTreeClass }).default ?? (sortedBtree as unknown as BTreeClass);
type Tree = InstanceType<typeof BTree<string, RecordHandle>>;

/** Restoring yields to the event loop after about this many bytes of records. */
const restoreYieldBytes = 256 * 1024;

/** A consistent state of the store, frozen at `capture()`: later writes do not show in it. */
export type KvCapture = {
  /** How many keys it holds. */
  readonly size: number;
  /** Its keys' and values' UTF-8 bytes. */
  readonly bytes: number;
  /** Its snapshot bytes, in slices of at least `sliceBytes`, yielding between slices. */
  chunks(sliceBytes?: number): AsyncIterable<Uint8Array>;
};

export class KvStore implements StateMachine<KvOutput> {
  readonly #slabBytes: number | undefined;
  #state: StoreState;
  #appliedIndex = 0;

  /** `slabBytes`: the size of the record slabs (default 4 MiB; tests use small ones). */
  constructor(options: { readonly slabBytes?: number } = {}) {
    this.#slabBytes = options.slabBytes;
    this.#state = new StoreState(this.#slabBytes);
  }

  get size(): number {
    return this.#state.tree.size;
  }

  /** The keys' and values' UTF-8 bytes: the state's size, near enough to its snapshot's. */
  get bytes(): number {
    return this.#state.bytes;
  }

  /** The bytes the record slabs hold, live records and holes: the state's memory off the heap. */
  get slabBytes(): number {
    return this.#state.arena.heldBytes;
  }

  /**
   * The index of the last entry applied to this store since it was made or restored (0: none).
   * The driver's applied index moves once per batch; a batch that gives the event loop turns
   * (apply-pacer.ts) has its earlier entries in the store before then.
   */
  get appliedIndex(): number {
    return this.#appliedIndex;
  }

  /** The value of `key` as applied so far (null: absent): what a linearizable read returns. */
  get(key: string): string | null {
    return this.#state.value(key);
  }

  apply(command: Uint8Array, index: Index): KvOutput {
    this.#appliedIndex = index;
    // A malformed command in a committed entry throws: the driver then stops the node, which is
    // right, since every replica would have to agree on what such an entry means.
    const put = decodeKvPut(command, isUtf8);
    if (put !== null) {
      this.#state.put(command, put);
      return { op: "put" };
    }
    const input = decodeKvCommand(command);
    switch (input.op) {
      case "put": // decodeKvPut took every put
      case "cas": {
        const ok = input.op === "put" || this.#state.value(input.key) === input.expected;
        if (ok) this.#state.putValue(input.key, input.value);
        return input.op === "put" ? { op: "put" } : { op: "cas", ok };
      }
      case "get":
        return { op: "get", value: this.#state.value(input.key) };
      default: {
        const never: never = input;
        throw new TypeError(`unknown kv command ${JSON.stringify(never)}`);
      }
    }
  }

  /** Freezes the current state in O(1); writes after this call do not change the capture. */
  capture(): KvCapture {
    const state = this.#state;
    const frozen = state.tree.clone();
    const slabs = state.arena.frozen();
    return {
      size: frozen.size,
      bytes: state.bytes,
      chunks: (sliceBytes = kvSnapshotSliceBytesDefault) => streamSlices(frozen, slabs, sliceBytes),
    };
  }

  /** Replaces the whole state with the snapshot in `chunks` (cut at any byte). */
  async restoreFrom(chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<void> {
    // The old state is dropped first: holding it until the new one is complete would double the
    // memory, and a restore that fails stops the node anyway (the driver's StateMachineFailedError).
    this.#state = new StoreState(this.#slabBytes);
    this.#appliedIndex = 0; // the driver's applied index is the snapshot's from here
    const state = new StoreState(this.#slabBytes);
    let sinceYield = 0;
    const decoder = new KvSnapshotDecoder();
    for await (const chunk of chunks) {
      state.restoreRecords(chunk, decoder.pushRecords(chunk));
      sinceYield += chunk.length;
      if (sinceYield >= restoreYieldBytes) {
        sinceYield = 0;
        await yieldToEventLoop();
      }
    }
    decoder.end();
    this.#state = state;
  }

  /**
   * The driver's consistent point (`StateMachine.snapshot`): the state is captured at the call,
   * and its bytes stream out while the store goes on applying.
   */
  snapshot(): SnapshotStream {
    return this.capture().chunks();
  }

  restore(data: SnapshotStream): Promise<void> {
    return this.restoreFrom(data);
  }

  /**
   * The XOR over all keys of the SHA-256 of the key's record (its canonical `put` command, the one
   * encoding of a key and value): equal states give equal digests whatever the order of their
   * writes, so replicas at the same applied index must show the same one, which
   * is how operators and the fault tests compare them. Kept up to date by each write (the hashes
   * of the old and new value of that key), because /status serves it: hashing the whole state
   * per request stalled a server holding 1 MiB values for seconds, long enough to lose its
   * leadership.
   */
  digest(): string {
    return this.#state.digest.toString("hex").slice(0, 16);
  }
}

/** The live state: the tree of keys, the slabs of their records, and what is kept per write. */
class StoreState {
  readonly tree: Tree = new BTree(undefined, compareKeys);
  readonly arena: RecordArena;
  bytes = 0;
  /** The XOR of SHA-256(record) over all keys, kept up to date per write (`digest`). */
  readonly digest = Buffer.alloc(32);

  constructor(slabBytes: number | undefined) {
    const keyOf = (record: Uint8Array) => (decodeKvPut(record, isUtf8) as { key: string }).key;
    this.arena = new RecordArena({
      ...(slabBytes === undefined ? {} : { slabBytes }),
      isLive: (record, handle) => this.tree.get(keyOf(record)) === handle,
      moved: (record, handle) => this.tree.set(keyOf(record), handle),
    });
  }

  value(key: string): string | null {
    const handle = this.tree.get(key);
    if (handle === undefined) return null;
    const record = this.arena.record(handle);
    return Buffer.from(record.buffer, record.byteOffset, record.length).toString(
      "utf8",
      kvPutValueStart(record),
    );
  }

  /** Sets a key to the value of `record`, a checked `put` command (`parts`: `decodeKvPut`'s). */
  put(record: Uint8Array, parts: KvPutParts): void {
    // The record is hashed and kept as it is, so it must be the one encoding of its key and value.
    if (!parts.canonical) {
      const value = Buffer.from(record.buffer, record.byteOffset, record.length).toString(
        "utf8",
        parts.valueStart,
      );
      this.putValue(parts.key, value);
      return;
    }
    this.#place(record, parts, this.arena.append(record));
  }

  /**
   * Puts the `records` of a snapshot that `chunk` completes (KvSnapshotDecoder.pushRecords): the
   * chunk becomes a slab, and those of its records that lie in it are kept there, not copied.
   */
  restoreRecords(chunk: Uint8Array, records: readonly Uint8Array[]): void {
    const inChunk = records.filter((record) => record.buffer === chunk.buffer);
    const first = inChunk[0];
    const last = inChunk[inChunk.length - 1];
    const framedAt = (record: Uint8Array) =>
      record.byteOffset - kvSnapshotRecordHeaderBytes - chunk.byteOffset;
    const base =
      first === undefined || last === undefined
        ? null
        : this.arena.adopt(
            new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength),
            framedAt(first),
            last.byteOffset + last.length - chunk.byteOffset,
          );
    for (const record of records) {
      const put = decodeKvPut(record, isUtf8);
      if (put === null) throw new KvCommandError("a snapshot holds a command other than put");
      const adopted = base !== null && record.buffer === chunk.buffer;
      if (adopted && put.canonical) this.#place(record, put, base + framedAt(record));
      else {
        this.put(record, put);
        if (adopted) this.arena.release(base + framedAt(record)); // a copy holds it now
      }
    }
  }

  /** Sets a key to `record`, already in the arena at `handle`. */
  #place(record: Uint8Array, parts: KvPutParts, handle: RecordHandle): void {
    const key = parts.key;
    xorInto(this.digest, recordHash(record));
    this.bytes += record.length - parts.valueStart;
    // A new key (every key of a restore, most of a growing store's) costs one descent of the tree.
    if (this.tree.set(key, handle, false)) {
      this.bytes += Buffer.byteLength(key);
      return;
    }
    const old = this.tree.get(key) as RecordHandle;
    this.tree.set(key, handle);
    const oldRecord = this.arena.record(old);
    xorInto(this.digest, recordHash(oldRecord));
    this.bytes -= oldRecord.length - kvPutValueStart(oldRecord);
    // Released last: compaction may move records, and must find this key's new one in the tree.
    this.arena.release(old);
  }

  putValue(key: string, value: string): void {
    const record = encodeKvCommand({ op: "put", key, value });
    this.put(record, { key, valueStart: kvPutValueStart(record), canonical: true });
  }
}

/** The snapshot of `frozen`, slice by slice, giving the event loop a turn after each slice. */
async function* streamSlices(
  frozen: Tree,
  slabs: FrozenSlabs,
  sliceBytes: number,
): AsyncGenerator<Uint8Array> {
  // Each record is already framed as the snapshot wants it: a slice is records copied out.
  let parts: Uint8Array[] = [];
  let used = 0;
  const pair: (string | RecordHandle)[] = [];
  for (const [, handle] of frozen.entries(undefined, pair)) {
    const framed = framedRecordIn(slabs, handle);
    parts.push(framed);
    used += framed.length;
    if (used >= sliceBytes) {
      yield joined(parts, used);
      parts = [];
      used = 0;
      await yieldToEventLoop();
    }
  }
  if (used > 0) yield joined(parts, used);
}

function joined(parts: readonly Uint8Array[], bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/**
 * The SHA-256 of `record`, as a "binary" (latin1) string, one character per byte: node:crypto's
 * one-shot `hash` returns a string in half the time it takes to return a Buffer (1 µs against 2
 * per 1 KiB record here), and a restore hashes every record it reads (docs/benchmarks.md).
 */
function recordHash(record: Uint8Array): string {
  return hash("sha256", record, "binary");
}

/** XORs the 32 bytes of a "binary" digest into `target`. */
function xorInto(target: Buffer, source: string): void {
  for (let i = 0; i < target.length; i += 1)
    target[i] = (target[i] as number) ^ source.charCodeAt(i);
}
