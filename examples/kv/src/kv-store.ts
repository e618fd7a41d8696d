// The key-value store as the server's replicated state machine. It speaks the KV command format of
// @flotilla/kv-model (the same bytes the simulator proposes and its linearizability model
// describes) and its snapshot format, but keeps one mutable Map: that package's KvStateMachine
// copies the whole map on every write, which suits a simulator's handful of keys, not a server.

import { createHash } from "node:crypto";
import type { BufferedStateMachine, Index } from "@flotilla/core";
import {
  decodeKvCommand,
  decodeKvSnapshot,
  encodeKvSnapshot,
  type KvOutput,
} from "@flotilla/kv-model";

export class KvStore implements BufferedStateMachine<KvOutput> {
  #map = new Map<string, string>();
  /** SHA-256 of each key's (key, value), and their XOR: the digest, kept up to date per write. */
  #hashes = new Map<string, Buffer>();
  #digest = Buffer.alloc(32);
  #bytes = 0;

  get size(): number {
    return this.#map.size;
  }

  /** The keys' and values' UTF-8 bytes: the state's size, near enough to its snapshot's. */
  get bytes(): number {
    return this.#bytes;
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
        return { op: "get", value: this.#map.get(input.key) ?? null };
      case "cas": {
        const ok = (this.#map.get(input.key) ?? null) === input.expected;
        if (ok) this.#set(input.key, input.value);
        return { op: "cas", ok };
      }
      default: {
        const never: never = input;
        throw new TypeError(`unknown kv command ${JSON.stringify(never)}`);
      }
    }
  }

  snapshot(): Uint8Array {
    return encodeKvSnapshot(this.#map);
  }

  restore(data: Uint8Array): void {
    this.#map = new Map();
    this.#hashes = new Map();
    this.#digest = Buffer.alloc(32);
    this.#bytes = 0;
    for (const [key, value] of decodeKvSnapshot(data)) this.#set(key, value);
  }

  /**
   * The XOR of SHA-256(key, value) over all keys: equal states give equal digests whatever the
   * order of their writes, so replicas at the same applied index must show the same one, which
   * is how operators and the fault tests compare them. Kept up to date by each write (one hash
   * of that key and value), because /status serves it: hashing the whole state per request
   * stalled a server holding 1 MiB values for seconds, long enough to lose its leadership.
   */
  digest(): string {
    return this.#digest.toString("hex").slice(0, 16);
  }

  #set(key: string, value: string): void {
    const old = this.#hashes.get(key);
    if (old !== undefined) xorInto(this.#digest, old);
    const oldValue = this.#map.get(key);
    this.#bytes +=
      Buffer.byteLength(value) -
      (oldValue === undefined ? -Buffer.byteLength(key) : Buffer.byteLength(oldValue));
    const hash = createHash("sha256").update(`${key.length}:${key}`).update(value).digest();
    xorInto(this.#digest, hash);
    this.#hashes.set(key, hash);
    this.#map.set(key, value);
  }
}

function xorInto(target: Buffer, source: Buffer): void {
  for (let i = 0; i < target.length; i += 1)
    target[i] = (target[i] as number) ^ (source[i] as number);
}
