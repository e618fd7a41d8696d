// Who leads, and at which term, asked of every server at once (GET /status). A frozen or cut-off
// server must not hold the answer up, so it comes as soon as a majority answered and the highest
// term among them has a known leader (a majority always holds the latest term's voters, so a
// stale leader's word cannot outvote it); otherwise when every server answered or timed out.

import type { ServerStatus } from "./client.js";

/** A leader as the servers see it: its client URL and the term it leads. */
export type LeaderView = { readonly url: string; readonly term: number };

type Seen = ServerStatus & { readonly url: string };

/** Asks `servers` who leads; null when no leader is known (an election under way). */
export function findLeader(
  servers: readonly string[],
  timeoutMs: number,
): Promise<LeaderView | null> {
  const majority = Math.floor(servers.length / 2) + 1;
  const abort = new AbortController();
  const seen: Seen[] = [];
  let settled = 0;
  return new Promise((resolve) => {
    const finish = (view: LeaderView | null) => {
      abort.abort(); // the stragglers' requests are of no use now
      resolve(view);
    };
    for (const url of servers) {
      askStatus(url, timeoutMs, abort.signal).then((status) => {
        settled += 1;
        if (status !== null) seen.push({ ...status, url });
        const view = leaderOf(seen);
        if (settled === servers.length || (seen.length >= majority && view !== null)) {
          finish(view);
        }
      });
    }
  });
}

/** The leader at the highest term seen: by its own word, else as its followers name it. */
export function leaderOf(seen: readonly Seen[]): LeaderView | null {
  const term = Math.max(0, ...seen.map((s) => s.term));
  const atTerm = seen.filter((s) => s.term === term);
  const self = atTerm.find((s) => s.role === "leader");
  if (self !== undefined) return { url: self.url, term };
  const named = atTerm.find((s) => s.leaderUrl !== null);
  return named?.leaderUrl == null ? null : { url: named.leaderUrl, term };
}

async function askStatus(
  url: string,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<ServerStatus | null> {
  try {
    const response = await fetch(`${url}/status`, {
      signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
    });
    return response.ok ? ((await response.json()) as ServerStatus) : null;
  } catch {
    return null;
  }
}
