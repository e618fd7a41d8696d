import type { KvInput, KvOutput } from "@flotilla/kv-model";
import type { Prng } from "@flotilla/transport-memory";

// What the simulated clients ask for: a mix of puts, gets and compare-and-sets on a few keys
// (contention is the point), each value unique to its client and operation so the history
// checker can tell writes apart, and compare-and-sets that expect what the client last saw, so
// that many of them can succeed.

/** The part of a client the workload reads: its PRNG, name, operation count and last reads. */
export type WorkloadClient = {
  readonly name: string;
  readonly prng: Prng;
  readonly seq: number;
  readonly lastSeen: ReadonlyMap<string, string | null>;
};

/** The client's next operation: 40% put, 30% get, 30% compare-and-set. */
export function nextKvInput(c: WorkloadClient, keyCount: number): KvInput {
  const key = `k${c.prng.int(keyCount)}`;
  const value = `${c.name}.${c.seq + 1}`;
  const roll = c.prng.int(10);
  if (roll < 4) return { op: "put", key, value };
  if (roll < 7) return { op: "get", key };
  return { op: "cas", key, expected: c.lastSeen.get(key) ?? null, value };
}

/** A read-only client's next operation: a get of a key drawn like `nextKvInput`'s. */
export function nextKvGet(c: WorkloadClient, keyCount: number): KvInput {
  return { op: "get", key: `k${c.prng.int(keyCount)}` };
}

/** Records the value a completed operation showed the client, for its next compare-and-set. */
export function rememberKvOutput(
  lastSeen: Map<string, string | null>,
  input: KvInput,
  output: KvOutput,
): void {
  if (output.op === "get") lastSeen.set(input.key, output.value);
  else if (input.op === "put" || (output.op === "cas" && output.ok && input.op === "cas")) {
    lastSeen.set(input.key, input.value);
  }
}
