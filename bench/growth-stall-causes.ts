// `bench growth --stall-causes`: what each event-loop stall of the servers was made of, as far as
// V8's GC pauses go. growth-stall-preload.ts records, inside each server, its stalls and its GC
// pauses on the monotonic clock; this reads them back and, for a window of the run (a phase, the
// catch-up), counts the stalls of at least `listedMs` and how many of them were at least half GC,
// by the kind of collection that took most of them, and how many were at least half spent waiting
// for a CPU (the main thread runnable but not running: the machine's other work). The rest of a
// stall the main thread was blocked (asleep: a lock, GC helper threads it waits for, a system
// call), or running its own work (a CPU profile, --profile-dir, says which).

import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { GcKind, GcRecord, StallRecord } from "./growth-stall-preload.js";

type Span = { readonly startMs: number; readonly ms: number };
type GcSpan = Span & { readonly kind: GcKind };
/** A stall, with the main thread's time on a CPU and waiting for one (-1: not known). */
type StallSpan = Span & { readonly ranMs: number; readonly waitedMs: number };
/** One server process's records. */
export type ServerRecords = {
  readonly id: string;
  readonly stalls: readonly StallSpan[];
  readonly gcs: readonly GcSpan[];
};

/** One stall, with the GC pauses inside it. */
export type AttributedStall = {
  readonly id: string;
  readonly startMs: number;
  readonly ms: number;
  /** The main thread's time on a CPU during the stall, and waiting for one (-1: not known). */
  readonly ranMs: number;
  readonly waitedMs: number;
  readonly gcMs: number;
  /** The kind of collection that took most of the stall, or null if none did. */
  readonly gcKind: GcKind | null;
};

export type StallCauses = {
  /** Stalls of at least the listed length, any server. */
  readonly stalls: number;
  /** Of those, the ones GC pauses took at least half of, by the kind that took most. */
  readonly mostlyGc: number;
  readonly mostlyGcByKind: Partial<Record<GcKind, number>>;
  /** Of those, the ones at least half spent waiting for a CPU, and blocked (neither running nor waiting). */
  readonly mostlyWaiting: number;
  readonly mostlyBlocked: number;
  /** The longest stall, with its GC share. */
  readonly longest: AttributedStall | null;
  /**
   * The stall the main thread ran longest in (ms on a CPU, whatever the waits): the longest
   * synchronous work, a figure the machine's other load does not lengthen.
   */
  readonly mostOnCpu: AttributedStall | null;
};

/** Reads every server process's records; `ids` names each process by its pid. */
export async function readStallRecords(
  dir: string,
  ids: ReadonlyMap<number, string>,
): Promise<ServerRecords[]> {
  const servers: ServerRecords[] = [];
  for (const name of await readdir(dir)) {
    const id = ids.get(Number.parseInt(name, 10));
    if (id === undefined || !name.endsWith(".jsonl")) continue;
    const stalls: StallSpan[] = [];
    const gcs: GcSpan[] = [];
    for (const line of (await readFile(join(dir, name), "utf8")).split("\n")) {
      if (line === "") continue;
      const record = JSON.parse(line) as StallRecord | GcRecord;
      if ("stall" in record) {
        const [startMs, ms, ranMs, waitedMs] = record.stall;
        stalls.push({ startMs, ms, ranMs, waitedMs });
      } else gcs.push({ startMs: record.gc[0], ms: record.gc[1], kind: record.gc[2] });
    }
    servers.push({ id, stalls, gcs });
  }
  return servers;
}

/** Every stall of at least `listedMs` that ended in [fromMs, toMs), with its GC share. */
export function attributeStalls(
  servers: readonly ServerRecords[],
  fromMs: number,
  toMs: number,
  listedMs = 40,
): AttributedStall[] {
  const out: AttributedStall[] = [];
  for (const server of servers) {
    for (const stall of server.stalls) {
      const endMs = stall.startMs + stall.ms;
      if (stall.ms < listedMs || endMs < fromMs || endMs >= toMs) continue;
      const byKind = new Map<GcKind, number>();
      for (const gc of server.gcs) {
        const overlap = Math.min(endMs, gc.startMs + gc.ms) - Math.max(stall.startMs, gc.startMs);
        if (overlap > 0) byKind.set(gc.kind, (byKind.get(gc.kind) ?? 0) + overlap);
      }
      const gcMs = [...byKind.values()].reduce((sum, ms) => sum + ms, 0);
      const top = [...byKind].sort((a, b) => b[1] - a[1])[0];
      out.push({
        id: server.id,
        startMs: stall.startMs,
        ms: stall.ms,
        ranMs: stall.ranMs,
        waitedMs: stall.waitedMs,
        gcMs: Math.round(gcMs * 10) / 10,
        gcKind: top === undefined ? null : top[0],
      });
    }
  }
  return out.sort((a, b) => a.startMs - b.startMs);
}

export function stallCauses(stalls: readonly AttributedStall[]): StallCauses {
  const mostlyGcByKind: Partial<Record<GcKind, number>> = {};
  let mostlyGc = 0;
  let mostlyWaiting = 0;
  let mostlyBlocked = 0;
  let longest: AttributedStall | null = null;
  let mostOnCpu: AttributedStall | null = null;
  for (const stall of stalls) {
    if (longest === null || stall.ms > longest.ms) longest = stall;
    if (stall.ranMs >= 0 && (mostOnCpu === null || stall.ranMs > mostOnCpu.ranMs))
      mostOnCpu = stall;
    if (stall.waitedMs * 2 >= stall.ms) mostlyWaiting += 1;
    if (stall.ranMs >= 0 && blockedMs(stall) * 2 >= stall.ms) mostlyBlocked += 1;
    if (stall.gcKind === null || stall.gcMs * 2 < stall.ms) continue;
    mostlyGc += 1;
    mostlyGcByKind[stall.gcKind] = (mostlyGcByKind[stall.gcKind] ?? 0) + 1;
  }
  return {
    stalls: stalls.length,
    mostlyGc,
    mostlyGcByKind,
    mostlyWaiting,
    mostlyBlocked,
    longest,
    mostOnCpu,
  };
}

/**
 * "12 stalls >= 40 ms, 5 mostly GC (scavenge 3, markCompact 2), 4 mostly waiting for a CPU, 0
 * mostly blocked; longest c 61.9 ms: GC 39.5 (markCompact), on a CPU 45, waiting 16; most on a
 * CPU c 45 ms (of 61.9)".
 */
export function describeCauses(causes: StallCauses, listedMs = 40): string {
  const kinds = Object.entries(causes.mostlyGcByKind)
    .map(([kind, n]) => `${kind} ${n}`)
    .join(", ");
  const longest = causes.longest;
  const tail =
    longest === null
      ? ""
      : `; longest ${longest.id} ${longest.ms} ms: GC ${longest.gcMs}${longest.gcKind === null ? "" : ` (${longest.gcKind})`}${longest.ranMs < 0 ? "" : `, on a CPU ${longest.ranMs}, waiting ${longest.waitedMs}`}`;
  const gc = `${causes.mostlyGc} mostly GC${kinds === "" ? "" : ` (${kinds})`}`;
  const sched = `${causes.mostlyWaiting} mostly waiting for a CPU, ${causes.mostlyBlocked} mostly blocked`;
  const most = causes.mostOnCpu;
  const onCpu = most === null ? "" : `; most on a CPU ${most.id} ${most.ranMs} ms (of ${most.ms})`;
  return `${causes.stalls} stalls >= ${listedMs} ms, ${gc}, ${sched}${tail}${onCpu}`;
}

/** The part of a stall the main thread neither ran nor waited for a CPU. */
function blockedMs(stall: AttributedStall): number {
  return Math.max(0, Math.round((stall.ms - stall.ranMs - stall.waitedMs) * 10) / 10);
}

/** "c 61.9 (GC 39.5 markCompact, CPU 45, wait 16, blocked 0.9)": one stall's parts, in ms. */
export function describeStall(stall: AttributedStall): string {
  const gc = stall.gcKind === null ? "GC 0" : `GC ${stall.gcMs} ${stall.gcKind}`;
  const sched =
    stall.ranMs < 0
      ? ""
      : `, CPU ${stall.ranMs}, wait ${stall.waitedMs}, blocked ${blockedMs(stall)}`;
  return `${stall.id} ${stall.ms} (${gc}${sched})`;
}
