// Renders the reducer's `status(state)` as trace lines: one for the node, one per peer progress.

import type { Status } from "@flotilla/core";

export function formatStatus(id: string, s: Status | null): string[] {
  if (s === null) return [`${id} is down`];
  const lines = [
    `${id}: ${s.role} term=${s.term} vote=${s.vote ?? "none"} leader=${s.leader ?? "none"} commit=${s.commit} applied=${s.applied} last=${s.lastLogIndex}/${s.lastLogTerm}`,
  ];
  for (const [peer, p] of progressEntries(s)) {
    lines.push(
      `  ${peer}: match=${p.match} next=${p.next} ${p.state} inflight=${p.inflight}${p.recentActive ? " active" : ""}`,
    );
  }
  return lines;
}

type Progress =
  NonNullable<Status["progress"]> extends infer P
    ? P extends ReadonlyMap<string, infer V>
      ? V
      : P extends Readonly<Record<string, infer V>>
        ? V
        : never
    : never;

function progressEntries(s: Status): [string, Progress][] {
  const progress: unknown = s.progress;
  if (progress === undefined || progress === null) return [];
  const entries: [string, Progress][] =
    progress instanceof Map
      ? [...(progress as Map<string, Progress>).entries()]
      : Object.entries(progress as Record<string, Progress>);
  return entries.filter(([peer]) => peer !== s.id).sort(([a], [b]) => a.localeCompare(b));
}
