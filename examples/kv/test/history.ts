// Client histories for the multi-process tests: operations run through a KvClient and recorded
// for @flotilla/sim's linearizability checker, and clients that run random operations on a few
// keys until told to stop.

import type { KvInput, KvOutput } from "@flotilla/kv-model";
import type { HistoryOperation } from "@flotilla/sim";
import type { Prng } from "@flotilla/transport-memory";
import { KvClient, KvRequestError } from "../src/client.js";
import { type LocalCluster, pause } from "../src/local-cluster.js";

/** Runs one operation through the cluster and records it in the history. */
export async function record(
  client: KvClient,
  clientId: string,
  input: KvInput,
  history: HistoryOperation[],
): Promise<KvOutput | null> {
  const invokedAt = performance.now();
  try {
    let output: KvOutput;
    if (input.op === "put") {
      await client.put(input.key, input.value);
      output = { op: "put" };
    } else if (input.op === "get") {
      output = { op: "get", value: await client.get(input.key) };
    } else {
      output = { op: "cas", ok: await client.cas(input.key, input.expected, input.value) };
    }
    history.push({
      clientId,
      input,
      invokedAt,
      outcome: "ok",
      completedAt: performance.now(),
      output,
    });
    return output;
  } catch (error) {
    if (!(error instanceof KvRequestError)) throw error;
    // "safe": the server said the command was never appended (or nothing listened): it did not
    // happen, so it is left out. Anything else may have happened, at any time from now on.
    if (error.retry === "unknown")
      history.push({ clientId, input, invokedAt, outcome: "indeterminate" });
    return null;
  }
}

/** One client: random puts, gets and compare-and-sets on a few keys until `stop` says so. */
export async function runClient(
  servers: readonly string[],
  clientId: string,
  prng: Prng,
  history: HistoryOperation[],
  stop: { done: boolean },
): Promise<void> {
  const client = new KvClient({ servers, requestTimeoutMs: 2000, deadlineMs: 3000 });
  const keys = ["x", "y", "z"];
  const seen = new Map<string, string | null>();
  for (let n = 0; !stop.done; n++) {
    const key = keys[prng.int(keys.length)] as string;
    const value = `${clientId}.${n}`;
    const roll = prng.int(10);
    const input: KvInput =
      roll < 4
        ? { op: "put", key, value }
        : roll < 7
          ? { op: "get", key }
          : { op: "cas", key, expected: seen.get(key) ?? null, value };
    const output = await record(client, clientId, input, history);
    if (output?.op === "get") seen.set(key, output.value);
    if (output?.op === "cas" && output.ok) seen.set(key, value);
    if (output === null) await pause(20);
  }
}

/** Waits until `nodes` running nodes applied the same index, then returns their state digests. */
export async function settledDigests(c: LocalCluster, nodes: number): Promise<string[]> {
  const deadline = performance.now() + 15_000;
  for (;;) {
    const statuses = await c.statuses();
    const applied = new Set(statuses.map((s) => s.appliedIndex));
    if (statuses.length === nodes && applied.size === 1) return statuses.map((s) => s.digest);
    if (performance.now() > deadline) {
      throw new Error(
        `replicas did not settle: ${statuses.map((s) => `${s.id}@${s.appliedIndex}`)}`,
      );
    }
    await pause(50);
  }
}
