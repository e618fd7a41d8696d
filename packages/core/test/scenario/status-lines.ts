// Renders the reducer's `status(state)` as trace lines: one for the node, one per peer progress.

import type { PeerProgress, Status } from "@flotilla/core";

export function formatStatus(id: string, s: Status | null): string[] {
  if (s === null) return [`${id} is down`];
  const lines = [
    `${id}: ${s.role} term=${s.term} vote=${s.vote ?? "none"} leader=${s.leader ?? "none"} commit=${s.commit} applied=${s.applied} last=${s.lastLogIndex}/${s.lastLogTerm}`,
  ];
  for (const [peer, p] of progressEntries(s)) {
    lines.push(
      `  ${peer}: match=${p.match} next=${p.next} ${p.state} inflight=${p.inflight}${p.recentActive ? " active" : ""}${p.lostLog === undefined ? "" : ` lostLog=${p.lostLog.match}>${p.lostLog.logEnd}`}`,
    );
  }
  return lines;
}

function progressEntries(s: Status): [string, PeerProgress][] {
  return Object.entries(s.progress ?? {}).sort(([a], [b]) => a.localeCompare(b));
}
