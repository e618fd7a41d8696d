// What `bench growth` watches on every running kv server, a few times a second: the event loop's
// longest delay since the previous scrape (GET /metrics, nodejs_eventloop_lag_max_seconds, which
// prom-client measures with monitorEventLoopDelay and resets at each scrape), the peak resident
// memory (GET /status, the kernel's high-water mark), and who leads in which term.

import type { LocalCluster } from "../examples/kv/src/local-cluster.js";
import type { ServerStatus } from "../examples/kv/src/server-views.js";
import { pause } from "./closed-loop.js";

const requestTimeoutMs = 2000;
const MB = 1024 * 1024;
/** Stalls at least this long are listed with their server and time (`stalls`). */
const stallListedMs = 40;

/** A server's memory at the scrape that saw its largest resident set (MB). */
export type MemoryAtPeak = {
  readonly atMs: number;
  readonly rssMB: number;
  readonly heapUsedMB: number;
  readonly heapTotalMB: number;
  readonly arrayBuffersMB: number;
  readonly slabMB: number;
};

export class GrowthProbe {
  readonly #cluster: LocalCluster;
  readonly #periodMs: number;
  #running = true;
  readonly #loop: Promise<void>;
  /** The longest event-loop stall of any server since `takeMaxStallMs` last ran. */
  #maxStallMs = 0;
  /** The highest peak RSS any server reported. */
  peakRssBytes = 0;
  /** Each server's highest peak RSS (over its processes, when restarted): who holds the peak. */
  readonly peakRssBytesById = new Map<string, number>();
  /**
   * Each server's memory when its resident set was the largest a scrape saw (what held it: V8's
   * heap, ArrayBuffers, the store's slabs), in MB, and when (ms since the probe started).
   */
  readonly memoryAtPeakById = new Map<string, MemoryAtPeak>();
  readonly #startedAt = performance.now();
  /**
   * Every stall of at least `stallListedMs` a scrape reported: which server, how long, and when
   * it was scraped (ms of CLOCK_MONOTONIC, the clock of V8's CPU profiles), to find it in a
   * profile (`--profile-dir`) or a GC trace.
   */
  readonly stalls: { readonly id: string; readonly ms: number; readonly monotonicMs: number }[] =
    [];
  /** Every "term:leader" seen with a leader. */
  readonly leaderTerms = new Set<string>();
  /** The latest status of each server that answered. */
  readonly statuses = new Map<string, ServerStatus>();

  constructor(cluster: LocalCluster, periodMs = 250) {
    this.#cluster = cluster;
    this.#periodMs = periodMs;
    this.#loop = this.#run();
  }

  /** The longest stall seen since the previous call; starts the next window. */
  takeMaxStallMs(): number {
    const ms = this.#maxStallMs;
    this.#maxStallMs = 0;
    return Math.round(ms * 10) / 10;
  }

  /** One scrape of every running server, now. */
  async scrape(): Promise<void> {
    const ids = this.#cluster.ids.filter((id) => this.#cluster.isRunning(id));
    await Promise.all(ids.map((id) => this.#scrapeOne(id)));
  }

  async stop(): Promise<void> {
    this.#running = false;
    await this.#loop;
  }

  async #run(): Promise<void> {
    while (this.#running) {
      await this.scrape();
      await pause(this.#periodMs);
    }
  }

  #noteStall(id: string, ms: number): void {
    this.#maxStallMs = Math.max(this.#maxStallMs, ms);
    // CLOCK_MONOTONIC, the clock of V8's CPU profiles (--profile-dir): the stall ended before it.
    if (ms >= stallListedMs) {
      const monotonicMs = Math.round(Number(process.hrtime.bigint() / 1000n) / 1000);
      this.stalls.push({ id, ms: Math.round(ms * 10) / 10, monotonicMs });
    }
  }

  async #scrapeOne(id: string): Promise<void> {
    const url = this.#cluster.url(id);
    const [metrics, status] = await Promise.all([
      getText(`${url}/metrics`),
      getText(`${url}/status`),
    ]);
    const lag =
      metrics === null ? null : /^nodejs_eventloop_lag_max_seconds\S* (\S+)$/m.exec(metrics);
    if (lag !== null) this.#noteStall(id, Number(lag[1]) * 1000);
    if (status === null) return;
    const s = JSON.parse(status) as ServerStatus;
    this.statuses.set(id, s);
    this.peakRssBytes = Math.max(this.peakRssBytes, s.process.peakRssBytes);
    this.peakRssBytesById.set(
      id,
      Math.max(this.peakRssBytesById.get(id) ?? 0, s.process.peakRssBytes),
    );
    this.#notePeak(id, s.process);
    if (s.role === "leader") this.leaderTerms.add(`${s.term}:${s.id}`);
  }

  #notePeak(id: string, p: ServerStatus["process"]): void {
    if (p.rssBytes <= (this.memoryAtPeakById.get(id)?.rssMB ?? 0) * MB) return;
    const mb = (bytes: number) => Math.round(bytes / MB);
    this.memoryAtPeakById.set(id, {
      atMs: Math.round(performance.now() - this.#startedAt),
      rssMB: p.rssBytes / MB,
      heapUsedMB: mb(p.heapUsedBytes),
      heapTotalMB: mb(p.heapTotalBytes),
      arrayBuffersMB: mb(p.arrayBuffersBytes),
      slabMB: mb(p.slabBytes),
    });
  }
}

async function getText(url: string): Promise<string | null> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(requestTimeoutMs) });
    return response.ok ? await response.text() : null;
  } catch {
    return null; // stopped, stalled or starting: the next scrape tries again
  }
}
