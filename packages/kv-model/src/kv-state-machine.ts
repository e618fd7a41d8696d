import type { BufferedStateMachine, Index } from "@flotilla/core";
import { KvCommandError } from "./errors.js";
import { decodeKvCommand } from "./kv-command.js";
import { decodeKvSnapshot, encodeKvSnapshot } from "./kv-snapshot.js";
import type { KvInput, KvOutput } from "./kv-types.js";

/** The whole store: key -> value. Treated as immutable by `applyKv`. */
export type KvState = ReadonlyMap<string, string>;

/** The store before any command: no keys. */
export const emptyKvState: KvState = new Map();

/**
 * Applies one command, purely: the same (state, command) always gives the same result, and
 * `state` is never changed (a write copies the map). The output has the checker's KvOutput
 * shape, so a simulator records it in the history as is.
 * NB: a write copies the whole map, O(keys); fine for the simulator's handful of keys.
 */
export function applyKv(state: KvState, command: KvInput): { state: KvState; output: KvOutput } {
  switch (command.op) {
    case "put":
      return { state: new Map(state).set(command.key, command.value), output: { op: "put" } };
    case "get":
      return { state, output: { op: "get", value: state.get(command.key) ?? null } };
    case "cas": {
      const ok = (state.get(command.key) ?? null) === command.expected;
      const next = ok ? new Map(state).set(command.key, command.value) : state;
      return { state: next, output: { op: "cas", ok } };
    }
    default: {
      const never: never = command;
      throw new KvCommandError(`unknown command ${JSON.stringify(never)}`);
    }
  }
}

/** The key-value store as a core `StateMachine`: apply takes encoded commands. */
export class KvStateMachine implements BufferedStateMachine<KvOutput> {
  #state: KvState = emptyKvState;

  get state(): KvState {
    return this.#state;
  }

  apply(command: Uint8Array, _index?: Index): KvOutput {
    const { state, output } = applyKv(this.#state, decodeKvCommand(command));
    this.#state = state;
    return output;
  }

  snapshot(): Uint8Array {
    return encodeKvSnapshot(this.#state);
  }

  restore(data: Uint8Array): void {
    this.#state = decodeKvSnapshot(data);
  }
}
