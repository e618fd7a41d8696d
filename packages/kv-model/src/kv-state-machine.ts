import type { BufferedStateMachine, Index } from "@flotilla/core";
import { KvCommandError } from "./errors.js";
import { decodeKvCommand, encodeKvCommand } from "./kv-command.js";
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

/**
 * Snapshot bytes: the commands that rebuild the state, as `put`s sorted by key, each prefixed by
 * its length as 4 bytes big-endian. Sorting makes equal states give equal bytes, so a simulator
 * can compare nodes' states byte for byte.
 */
export function encodeKvSnapshot(state: KvState): Uint8Array {
  const commands = [...state.keys()]
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((key) => encodeKvCommand({ op: "put", key, value: state.get(key) as string }));
  const out = new Uint8Array(commands.reduce((sum, c) => sum + 4 + c.length, 0));
  const view = new DataView(out.buffer);
  let offset = 0;
  for (const c of commands) {
    view.setUint32(offset, c.length);
    out.set(c, offset + 4);
    offset += 4 + c.length;
  }
  return out;
}

/** Reads a snapshot made by `encodeKvSnapshot`; throws `KvCommandError` for bad bytes. */
export function decodeKvSnapshot(bytes: Uint8Array): KvState {
  const state = new Map<string, string>();
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let offset = 0; offset < bytes.length; ) {
    if (offset + 4 > bytes.length) throw new KvCommandError("truncated snapshot record length");
    const length = view.getUint32(offset);
    if (offset + 4 + length > bytes.length) throw new KvCommandError("truncated snapshot record");
    const command = decodeKvCommand(bytes.subarray(offset + 4, offset + 4 + length));
    if (command.op !== "put") throw new KvCommandError(`a snapshot holds a ${command.op}`);
    state.set(command.key, command.value);
    offset += 4 + length;
  }
  return state;
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
