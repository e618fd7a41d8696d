// Closed-loop writers against an examples/kv cluster for the fault benchmarks (failover, pauses):
// each writes a fresh key per put and remembers what was acknowledged, so that at the end every
// acknowledged write can be read back.
import { KvClient } from "../examples/kv/src/client.js";
import { pause } from "../examples/kv/src/local-cluster.js";

export type Writer = {
  /** Acknowledged writes: key → when the put was issued and when it was acknowledged. */
  readonly acked: Map<string, { readonly issuedAt: number; readonly ackedAt: number }>;
  failures: number;
  done: boolean;
  readonly running: Promise<void>;
};

/**
 * A writer putting `<prefix><seq>` = `v-<seq>` until `done`, one put at a time. The client retries
 * writes whose outcome it did not learn (retryUnknownWrites), which is safe since each key is
 * written by this writer alone; a put that fails anyway counts in `failures`.
 */
export function startWriter(urls: readonly string[], prefix = "w-"): Writer {
  const client = new KvClient({ servers: urls, retryUnknownWrites: true, deadlineMs: 60_000 });
  const writer = { acked: new Map(), failures: 0, done: false } as Omit<Writer, "running">;
  const running = (async () => {
    for (let seq = 0; !writer.done; seq++) {
      const key = `${prefix}${seq}`;
      const issuedAt = performance.now();
      try {
        await client.put(key, `v-${seq}`);
        writer.acked.set(key, { issuedAt, ackedAt: performance.now() });
      } catch {
        writer.failures += 1;
        await pause(10);
      }
    }
  })();
  return Object.assign(writer, { running });
}

/** Reads every key the writers had acknowledged back; returns how many are missing or wrong. */
export async function countLost(
  urls: readonly string[],
  writers: readonly Writer[],
): Promise<number> {
  const reader = new KvClient({ servers: urls, deadlineMs: 60_000 });
  const expected = writers.flatMap((w) =>
    [...w.acked.keys()].map((key) => [key, `v-${key.slice(key.lastIndexOf("-") + 1)}`] as const),
  );
  let lost = 0;
  let next = 0;
  const worker = async () => {
    for (let k = next++; k < expected.length; k = next++) {
      const [key, value] = expected[k] as readonly [string, string];
      if ((await reader.get(key)) !== value) lost += 1;
    }
  };
  await Promise.all(Array.from({ length: 32 }, worker));
  return lost;
}
