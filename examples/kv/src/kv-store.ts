// The key-value store as the server's replicated state machine. It speaks the KV command format of
// @flotilla/kv-model (the same bytes the simulator proposes and its linearizability model
// describes) and its snapshot format, but keeps its own structure: that package's KvStateMachine
// copies the whole map on every write, which suits a simulator's handful of keys, not a server.
//
// Large state (hundreds of megabytes) shapes it. The keys live in a copy-on-write B+ tree
// (sorted-btree): `capture()` freezes the current state in O(1) by sharing the tree, and a write
// after it copies only the few nodes on its own path, so a snapshot costs no second copy of the
// state and the store keeps applying while the snapshot is read. The snapshot's bytes come out
// in key order (the snapshot format's order, for free) as an async stream of slices with a yield
// to the event loop between them, so no slice holds the loop for more than about a millisecond.
// Restoring consumes such a stream the same way.

import { createHash } from "node:crypto";
import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import type { Index, SnapshotStream, StateMachine } from "@flotilla/core";
import {
  compareKeys,
  decodeKvCommand,
  encodeKvSnapshotSlices,
  type KvOutput,
  KvSnapshotDecoder,
  kvSnapshotSliceBytesDefault,
} from "@flotilla/kv-model";
import sortedBtree from "sorted-btree";

// sorted-btree is CommonJS with `exports.default`: Node's ESM import gives `module.exports`, so the
// class is its `default`; vitest's interop hands over the class itself.
type BTreeClass = typeof sortedBtree.default;
const BTree: BTreeClass =
  (sortedBtree as { default?: BTreeClass }).default ?? (sortedBtree as unknown as BTreeClass);
type Tree = InstanceType<typeof BTree<string, string>>;

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
  #tree: Tree = new BTree(undefined, compareKeys);
  #bytes = 0;
  /** The XOR of SHA-256(key, value) over all keys, kept up to date per write (`digest`). */
  #digest = Buffer.alloc(32);

  get size(): number {
    return this.#tree.size;
  }

  /** The keys' and values' UTF-8 bytes: the state's size, near enough to its snapshot's. */
  get bytes(): number {
    return this.#bytes;
  }

  /** The value of `key` as applied so far (null: absent): what a linearizable read returns. */
  get(key: string): string | null {
    return this.#tree.get(key) ?? null;
  }

  apply(command: Uint8Array, _index: Index): KvOutput {
    // A malformed command in a committed entry throws: the driver then stops the node, which is
    // right, since every replica would have to agree on what such an entry means.
    const input = decodeKvCommand(command);
    switch (input.op) {
      case "put":
        this.#set(input.key, input.value);
        return { op: "put" };
      case "get":
        return { op: "get", value: this.#tree.get(input.key) ?? null };
      case "cas": {
        const ok = (this.#tree.get(input.key) ?? null) === input.expected;
        if (ok) this.#set(input.key, input.value);
        return { op: "cas", ok };
      }
      default: {
        const never: never = input;
        throw new TypeError(`unknown kv command ${JSON.stringify(never)}`);
      }
    }
  }

  /** Freezes the current state in O(1); writes after this call do not change the capture. */
  capture(): KvCapture {
    const frozen = this.#tree.clone();
    return {
      size: frozen.size,
      bytes: this.#bytes,
      chunks: (sliceBytes = kvSnapshotSliceBytesDefault) => streamSlices(frozen, sliceBytes),
    };
  }

  /** Replaces the whole state with the snapshot in `chunks` (cut at any byte). */
  async restoreFrom(chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<void> {
    // The old state is dropped first: holding it until the new one is complete would double the
    // memory, and a restore that fails stops the node anyway (the driver's StateMachineFailedError).
    this.#reset();
    const tree: Tree = new BTree(undefined, compareKeys);
    const digest = Buffer.alloc(32);
    let bytes = 0;
    let sinceYield = 0;
    const decoder = new KvSnapshotDecoder();
    for await (const chunk of chunks) {
      for (const [key, value] of decoder.push(chunk)) {
        // A snapshot holds each key once, in order: no old value to take out of the digest.
        xorInto(digest, entryHash(key, value));
        tree.set(key, value);
        bytes += Buffer.byteLength(key) + Buffer.byteLength(value);
      }
      sinceYield += chunk.length;
      if (sinceYield >= restoreYieldBytes) {
        sinceYield = 0;
        await yieldToEventLoop();
      }
    }
    decoder.end();
    this.#tree = tree;
    this.#bytes = bytes;
    this.#digest = digest;
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
   * The XOR of SHA-256(key, value) over all keys: equal states give equal digests whatever the
   * order of their writes, so replicas at the same applied index must show the same one, which
   * is how operators and the fault tests compare them. Kept up to date by each write (the hashes
   * of the old and new value of that key), because /status serves it: hashing the whole state
   * per request stalled a server holding 1 MiB values for seconds, long enough to lose its
   * leadership.
   */
  digest(): string {
    return this.#digest.toString("hex").slice(0, 16);
  }

  #set(key: string, value: string): void {
    const old = this.#tree.get(key);
    if (old !== undefined) {
      xorInto(this.#digest, entryHash(key, old));
      this.#bytes -= Buffer.byteLength(old);
    } else {
      this.#bytes += Buffer.byteLength(key);
    }
    xorInto(this.#digest, entryHash(key, value));
    this.#bytes += Buffer.byteLength(value);
    this.#tree.set(key, value);
  }

  #reset(): void {
    this.#tree = new BTree(undefined, compareKeys);
    this.#bytes = 0;
    this.#digest = Buffer.alloc(32);
  }
}

/** The snapshot of `frozen`, slice by slice, giving the event loop a turn after each slice. */
async function* streamSlices(frozen: Tree, sliceBytes: number): AsyncGenerator<Uint8Array> {
  for (const slice of encodeKvSnapshotSlices(frozen.entries(), sliceBytes)) {
    yield slice;
    await yieldToEventLoop();
  }
}

function entryHash(key: string, value: string): Buffer {
  return createHash("sha256").update(`${key.length}:${key}`).update(value).digest();
}

function xorInto(target: Buffer, source: Buffer): void {
  for (let i = 0; i < target.length; i += 1)
    target[i] = (target[i] as number) ^ (source[i] as number);
}
