import type { KvInput, KvOutput, KvValue } from "@flotilla/kv-model";
import type { Model } from "./model.js";

// The sequential specification of the key-value store, for ONE key (the checker splits a
// history per key first, so a state is just the key's value: a string, or null when absent).

/** The key-value store's sequential specification for one key, for `checkLinearizability`. */
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
