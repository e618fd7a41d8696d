import { encodeKvSnapshot, type KvState } from "@flotilla/kv-model";

// State machine safety for snapshots: the key-value state of every node at a given applied index
// must be the same, whether the node got there by applying entries, by restoring a snapshot it
// received from the leader, or by restarting from its own. The snapshot encoding is canonical
// (sorted by key), so states are compared byte for byte.
//
// Checkpoints are taken at every multiple of `everyEntries` a node applies, and at every index
// a node snapshots or restores at; the first node to reach an index records its bytes, every
// later one is compared with them. Records are kept only for a bounded window of recent indexes
// (older ones are compared by nobody any more once every node has passed them; in doubt a record
// is dropped, which loses a comparison, never makes a false alarm).

export type CheckpointMismatch = {
  readonly index: number;
  readonly detail: string;
};

export class KvCheckpoints {
  readonly #byIndex = new Map<number, Uint8Array>();
  readonly #order: number[] = [];
  readonly everyEntries: number;
  readonly #keptMax: number;
  /** How many comparisons were made (a run that compared nothing proves nothing). */
  comparisons = 0;

  constructor(everyEntries: number, keptMax = 4096) {
    this.everyEntries = everyEntries;
    this.#keptMax = keptMax;
  }

  /** Whether applying `index` should checkpoint (cheap test before encoding anything). */
  due(index: number): boolean {
    return index % this.everyEntries === 0;
  }

  /** Records or compares `node`'s state at `index`; returns a mismatch if they differ. */
  check(node: string, index: number, state: KvState, how: string): CheckpointMismatch | null {
    const bytes = encodeKvSnapshot(state);
    const recorded = this.#byIndex.get(index);
    if (recorded === undefined) {
      this.#byIndex.set(index, bytes);
      this.#order.push(index);
      if (this.#order.length > this.#keptMax) this.#byIndex.delete(this.#order.shift()!);
      return null;
    }
    this.comparisons++;
    if (equalBytes(recorded, bytes)) return null;
    return {
      index,
      detail: `n${node} ${how}: its key-value state at applied index ${index} differs from another node's at the same index`,
    };
  }
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}
