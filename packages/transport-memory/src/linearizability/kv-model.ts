import type { Model } from "./model.js";

// The sequential specification of the key-value store, for ONE key (the checker splits a
// history per key first, so a state is just the key's value: a string, or null when absent).

export type KvInput =
  | { readonly op: "put"; readonly key: string; readonly value: string }
  | { readonly op: "get"; readonly key: string }
  /** Sets `value` if the current value equals `expected` (null: the key is absent). */
  | {
      readonly op: "cas";
      readonly key: string;
      readonly expected: string | null;
      readonly value: string;
    };

export type KvOutput =
  | { readonly op: "put" }
  | { readonly op: "get"; readonly value: string | null }
  | { readonly op: "cas"; readonly ok: boolean };

export type KvValue = string | null;

export const kvKeyModel: Model<KvValue, KvInput, KvOutput> = {
  init: null,
  step(state, input, output) {
    switch (input.op) {
      case "put":
        return input.value;
      case "get":
        if (output === undefined) return state;
        return output.op === "get" && output.value === state ? state : undefined;
      case "cas": {
        const matches = state === input.expected;
        if (output !== undefined && (output.op !== "cas" || output.ok !== matches))
          return undefined;
        return matches ? input.value : state;
      }
      default: {
        const never: never = input;
        throw new TypeError(`unknown kv operation ${JSON.stringify(never)}`);
      }
    }
  },
  key(state) {
    return state === null ? "\u0000" : `=${state}`;
  },
};
