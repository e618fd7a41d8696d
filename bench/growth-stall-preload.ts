// `bench growth --stall-causes`, inside each kv server process (loaded with `--import`): records
// when the event loop stalled and when V8 paused it to collect garbage, both on CLOCK_MONOTONIC
// (process.hrtime, the clock of V8's CPU profiles and of every process on the machine), so that
// growth-stall-causes.ts can say of each stall how much of it was a GC pause. The probe's scrape
// (growth-probe.ts) only says that a stall ended in the 250 ms before it; this says when.
//
// A stall is a gap of more than `gapMs` between two ticks of a 5 ms interval timer (the gap, tick
// included: the same quantity monitorEventLoopDelay records). A GC pause is a `gc` performance
// entry (its kind: scavenge, mark-compact, incremental step, weak callbacks). Where Linux keeps
// scheduler statistics (/proc/thread-self/schedstat), each stall also says how long the main
// thread ran on a CPU during it and how long it waited for one (runnable, not running): on a
// machine with more busy threads than cores, a stall can be mostly waiting. Nothing in the server
// is changed. The records go to $FLOTILLA_BENCH_STALL_DIR/<pid>.jsonl every 250 ms.

import { appendFileSync, openSync, readSync } from "node:fs";
import {
  constants,
  type PerformanceEntry,
  PerformanceObserver,
  performance,
} from "node:perf_hooks";
import { isMainThread } from "node:worker_threads";

/**
 * [start ms, duration ms, ms on a CPU, ms waiting for a CPU]: a stall of the event loop (the last
 * two -1 without scheduler statistics).
 */
export type StallRecord = { readonly stall: readonly [number, number, number, number] };
/** [start ms, duration ms, kind]: a GC pause of the main thread. */
export type GcRecord = { readonly gc: readonly [number, number, GcKind] };
export type GcKind = "scavenge" | "markCompact" | "incremental" | "weak" | "other";

const tickMs = 5;
/** Gaps shorter than this are not recorded (the bench lists stalls from 40 ms). */
const gapMs = 20;
/** GC pauses shorter than this are not recorded. */
const gcMinMs = 2;

const dir = process.env.FLOTILLA_BENCH_STALL_DIR;

function monotonicMs(): number {
  return Number(process.hrtime.bigint() / 1000n) / 1000;
}

/**
 * The main thread's time on a CPU and waiting for one so far, in ms, from the first two fields of
 * /proc/thread-self/schedstat (ns); null where the kernel does not keep them.
 */
function schedReader(): (() => readonly [number, number]) | null {
  let fd: number;
  try {
    fd = openSync("/proc/thread-self/schedstat", "r"); // this thread's, whoever reads it later
  } catch {
    return null;
  }
  const buffer = Buffer.alloc(128);
  return () => {
    const text = buffer.toString("latin1", 0, readSync(fd, buffer, 0, buffer.length, 0));
    const [ran = "0", waited = "0"] = text.split(" ");
    return [Number(ran) / 1e6, Number(waited) / 1e6];
  };
}

function gcKind(kind: number | undefined): GcKind {
  switch (kind) {
    case constants.NODE_PERFORMANCE_GC_MINOR:
      return "scavenge";
    case constants.NODE_PERFORMANCE_GC_MAJOR:
      return "markCompact";
    case constants.NODE_PERFORMANCE_GC_INCREMENTAL:
      return "incremental";
    case constants.NODE_PERFORMANCE_GC_WEAKCB:
      return "weak";
    default:
      return "other";
  }
}

// Only the main thread's loop is the server's (tsx runs its loader in a worker of its own).
if (dir !== undefined && isMainThread) {
  const file = `${dir}/${process.pid}.jsonl`;
  const records: (StallRecord | GcRecord)[] = [];
  const round = (ms: number) => Math.round(ms * 10) / 10;
  // performance.now() counts from the process's time origin; this turns it into monotonic ms.
  const toMonotonic = monotonicMs() - performance.now();
  const sched = schedReader();
  let last = monotonicMs();
  let lastSched = sched?.() ?? null;
  setInterval(() => {
    const now = monotonicMs();
    const nowSched = sched?.() ?? null;
    if (now - last > gapMs) {
      const [ran, waited] =
        nowSched === null || lastSched === null
          ? [-1, -1]
          : [round(nowSched[0] - lastSched[0]), round(nowSched[1] - lastSched[1])];
      records.push({ stall: [round(last), round(now - last), ran, waited] });
    }
    last = now;
    lastSched = nowSched;
  }, tickMs).unref();
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      if (entry.duration < gcMinMs) continue;
      const { detail } = entry as PerformanceEntry & { detail?: { kind?: number } };
      const kind = gcKind(detail?.kind);
      records.push({ gc: [round(entry.startTime + toMonotonic), round(entry.duration), kind] });
    }
  }).observe({ entryTypes: ["gc"] });
  setInterval(() => {
    if (records.length === 0) return;
    const lines = records.splice(0).map((record) => JSON.stringify(record));
    appendFileSync(file, `${lines.join("\n")}\n`);
  }, 250).unref();
}
