// The operations of the key-value store and their outputs: what a client sends, what the state
// machine answers, and what the linearizability checker reads from a history.

/** An operation on the store: put, get, or compare-and-set of one key. */
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

/**
 * What an operation returned: nothing for put, the value (null: absent) for get, success for cas.
 */
export type KvOutput =
  | { readonly op: "put" }
  | { readonly op: "get"; readonly value: string | null }
  | { readonly op: "cas"; readonly ok: boolean };

/** One key's value in the linearizability model: a string, or null when the key is absent. */
export type KvValue = string | null;
