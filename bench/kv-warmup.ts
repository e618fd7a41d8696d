// `bench kv`'s warm-up of each fresh cluster, Flotilla's and etcd's alike, before its first
// measured phase: untimed PUTs, first from 64 clients, then from one. A kv server is a Node
// process whose PUT path V8 compiles and optimizes as it runs: optimizations were still completing
// in every 2.5 s round of 1-client PUTs (at load ~19: 92, 144, 24, 72, 94, 116 per round; bench
// docs), and the first 1-client round after a start was the slowest of the run in most runs
// (docs/benchmarks.md, "the first round"). A cluster a user measures has served for a while; the
// per-phase warm-up (closed-loop.ts) is too short for that at 1 client (~100 PUTs). etcd gets the
// same load for the same time, so both sides start their phases equally warm.
import { pause } from "./closed-loop.js";

/** PUTs from 64 clients for half of `ms`, then from one client for the other half. */
export async function warmCluster(
  put: (key: string, value: Buffer) => Promise<void>,
  ms: number,
): Promise<void> {
  if (ms <= 0) return;
  const value = Buffer.alloc(64, "w");
  for (const clients of [64, 1]) {
    const end = performance.now() + ms / 2;
    await Promise.all(
      Array.from({ length: clients }, async (_, client) => {
        for (let seq = 0; performance.now() < end; seq += 1) {
          // A failure (a leader not settled yet) waits a little: a warm-up must not spin.
          await put(`warm-${client}-${seq % 128}`, value).catch(() => pause(10));
        }
      }),
    );
  }
}
