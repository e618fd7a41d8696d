// A closed-loop load: N clients, each with one request outstanding, sending the next as soon as
// the last was answered (how a user's threads hit a store). Shared by the kv and etcd sides of
// `bench kv`, so both are measured the same way. Only requests that complete inside the measured
// window count; the warm-up before it lets connections open and code get compiled.

export type PhaseResult = {
  readonly opsPerSec: number;
  readonly p50Us: number;
  readonly p99Us: number;
  /** Requests that failed in the window (after the client's own redirects and retries). */
  readonly errors: number;
  /** Completed requests in each whole second of the window. */
  readonly perSecond: readonly number[];
};

export type LoadOptions = {
  readonly clients: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  /** One request by `client` (its `seq`-th); rejects if it failed. */
  readonly request: (client: number, seq: number) => Promise<void>;
  /** Called as the measured window starts and as it ends (to sample CPU over it, say). */
  readonly window?: { readonly start: () => void; readonly end: () => void };
};

export async function closedLoop(options: LoadOptions): Promise<PhaseResult> {
  const { clients, warmupMs, durationMs, request } = options;
  const start = performance.now() + warmupMs;
  const end = start + durationMs;
  const latenciesUs: number[] = [];
  const perSecond = new Array<number>(Math.max(1, Math.floor(durationMs / 1000))).fill(0);
  let errors = 0;
  const { window } = options;
  const windowEnded =
    window === undefined
      ? null
      : new Promise<void>((resolve) => {
          setTimeout(window.start, warmupMs);
          setTimeout(() => resolve(window.end()), warmupMs + durationMs);
        });

  async function client(id: number): Promise<void> {
    for (let seq = 0; ; seq += 1) {
      const sent = performance.now();
      if (sent >= end) return;
      let ok = true;
      try {
        await request(id, seq);
      } catch {
        ok = false;
      }
      const done = performance.now();
      if (done < start || done >= end) continue;
      if (!ok) {
        errors += 1;
        await pause(10); // a failing server must not turn the client into a busy loop
        continue;
      }
      latenciesUs.push((done - sent) * 1000);
      const second = Math.floor((done - start) / 1000);
      if (second < perSecond.length) perSecond[second] = (perSecond[second] ?? 0) + 1;
    }
  }

  await Promise.all(Array.from({ length: clients }, (_, id) => client(id)));
  await windowEnded;
  const sorted = Float64Array.from(latenciesUs).sort();
  return {
    opsPerSec: Math.round(sorted.length / (durationMs / 1000)),
    p50Us: percentile(sorted, 0.5),
    p99Us: percentile(sorted, 0.99),
    errors,
    perSecond,
  };
}

function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return 0;
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!);
}

export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
