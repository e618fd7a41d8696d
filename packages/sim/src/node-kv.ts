import type { Entry, NodeId } from "@flotilla/core";
import {
  applyKv,
  decodeKvCommand,
  decodeKvSnapshot,
  emptyKvState,
  encodeKvSnapshot,
  KvCommandError,
  type KvInput,
  type KvOutput,
  type KvState,
} from "@flotilla/kv-model";
import type { KvCheckpoints } from "./kv-checkpoints.js";
import type { SafetyChecker } from "./safety-checker.js";
import { padSnapshot, unpadSnapshot } from "./snapshot-padding.js";

// Commands are decoded once, not once per node: every node applies the same Uint8Array object
// (the network passes messages by reference), so a WeakMap keyed by it is a cheap cache.
const decoded = new WeakMap<Uint8Array, KvInput>();

function decodeCached(data: Uint8Array): KvInput {
  let input = decoded.get(data);
  if (input === undefined) {
    input = decodeKvCommand(data);
    decoded.set(data, input);
  }
  return input;
}

/**
 * A simulated node's key-value state machine, as examples/kv runs it, compared with the other
 * nodes' at equal applied indexes (kv-checkpoints.ts): a mismatch is a state machine safety
 * violation.
 */
export class NodeKv {
  #kv: KvState = emptyKvState;
  readonly #id: NodeId;
  readonly #index: number;
  readonly #checkpoints: KvCheckpoints;
  readonly #checker: SafetyChecker;
  /** Pattern bytes after the key-value bytes of every snapshot (snapshot-padding.ts). */
  readonly #paddingBytes: number;

  constructor(
    id: NodeId,
    index: number,
    checkpoints: KvCheckpoints,
    checker: SafetyChecker,
    paddingBytes: number,
  ) {
    this.#id = id;
    this.#index = index;
    this.#checkpoints = checkpoints;
    this.#checker = checker;
    this.#paddingBytes = paddingBytes;
  }

  /** The value of `key` now (a read). */
  get(key: string): string | null {
    return this.#kv.get(key) ?? null;
  }

  /** Starts from a snapshot's data (at `index`), or empty. */
  load(index: number, snapshotData: Uint8Array | null): void {
    this.#kv = snapshotData === null ? emptyKvState : this.#decode(index, snapshotData, "loaded");
  }

  /** Replaces the state with a snapshot (from the leader, or loaded), checked at `index`. */
  restore(index: number, data: Uint8Array, how: string): void {
    this.#kv = this.#decode(index, data, how);
    this.checkpoint(index, how);
  }

  /** The state as a snapshot at `index` (checked there). */
  snapshot(index: number): Uint8Array {
    this.checkpoint(index, "took a snapshot");
    return padSnapshot(encodeKvSnapshot(this.#kv), this.#paddingBytes);
  }

  /** A snapshot's state; damaged padding means bytes no node took reached the state machine. */
  #decode(index: number, data: Uint8Array, how: string): KvState {
    const { kv, intact } = unpadSnapshot(data, this.#paddingBytes);
    const damaged = (what: string) =>
      this.#checker.report(
        "stateMachineSafety",
        this.#index,
        `n${this.#id} ${how} a snapshot at ${index} ${what}: its bytes were damaged`,
      );
    if (!intact) damaged("whose padding is not what was taken");
    try {
      return decodeKvSnapshot(kv);
    } catch (error) {
      if (!(error instanceof KvCommandError)) throw error;
      damaged(`that does not decode (${error.message})`);
      return emptyKvState;
    }
  }

  /** Applies committed entries in order: each command's output, undefined for the others. */
  apply(entries: readonly Entry[]): (KvOutput | undefined)[] {
    const checkpoints = this.#checkpoints;
    const results: (KvOutput | undefined)[] = [];
    for (const entry of entries) {
      if (entry.kind === "command") {
        const { state, output } = applyKv(this.#kv, decodeCached(entry.data));
        this.#kv = state;
        results.push(output);
      } else {
        results.push(undefined);
      }
      if (checkpoints.due(entry.index)) this.checkpoint(entry.index, "applied");
    }
    return results;
  }

  /** Compares the state at `index` with what other nodes had there. */
  checkpoint(index: number, how: string): void {
    const mismatch = this.#checkpoints.check(this.#id, index, this.#kv, how);
    if (mismatch !== null) this.#checker.report("stateMachineSafety", this.#index, mismatch.detail);
  }
}
