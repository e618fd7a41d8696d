// The key-value store as the server's replicated state machine. It speaks the KV command format of
// @flotilla/kv-model (the same bytes the simulator proposes and its linearizability model
// describes) and its snapshot format, but keeps one mutable Map: that package's KvStateMachine
// copies the whole map on every write, which suits a simulator's handful of keys, not a server.

import { createHash } from "node:crypto";
import type { Index, StateMachine } from "@flotilla/core";
import {
  decodeKvCommand,
  decodeKvSnapshot,
  encodeKvSnapshot,
  type KvOutput,
} from "@flotilla/kv-model";

export class KvStore implements StateMachine<KvOutput> {
  #map = new Map<string, string>();

  get size(): number {
    return this.#map.size;
  }

  apply(command: Uint8Array, _index: Index): KvOutput {
    // A malformed command in a committed entry throws: the driver then stops the node, which is
    // right, since every replica would have to agree on what such an entry means.
    const input = decodeKvCommand(command);
    switch (input.op) {
      case "put":
        this.#map.set(input.key, input.value);
        return { op: "put" };
      case "get":
        return { op: "get", value: this.#map.get(input.key) ?? null };
      case "cas": {
        const ok = (this.#map.get(input.key) ?? null) === input.expected;
        if (ok) this.#map.set(input.key, input.value);
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
    this.#map = new Map(decodeKvSnapshot(data));
  }

  /**
   * SHA-256 of the canonical snapshot bytes (sorted by key): replicas at the same applied index
   * must show the same digest, which is how operators and the fault tests compare them.
   */
  digest(): string {
    return createHash("sha256").update(this.snapshot()).digest("hex").slice(0, 16);
  }
}
