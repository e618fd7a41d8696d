// Who leads, and at which term, asked of every server at once (GET /status). A frozen or cut-off
// server must not hold the answer up, so it comes as soon as a majority answered and the highest
// term among them has a known leader (a majority always holds the latest term's voters, so a
// stale leader's word cannot outvote it); otherwise when every server answered or timed out.
//
// A client whose leader failed asks for a leader past that leader's term (`after`): each server
// holds its answer until it knows one (leader-wait.ts), and the first answer naming a leader at a
// higher term settles it, so the client hears of the new leader as soon as any server does.

import type { ServerStatus } from "./server-views.js";

/** A leader as the servers see it: its client URL and the term it leads. */
export type LeaderView = { readonly url: string; readonly term: number };

/** How to ask: for whoever leads now, or (`after`) for a leader at a term above `after.term`. */
export type LeaderQuery = {
  /** Give up on a server this long after its answer was due. */
  readonly timeoutMs: number;
  /** Wait up to `waitMs` for a leader at a term above `term`. */
  readonly after?: { readonly term: number; readonly waitMs: number };
  /** Stops asking (the answer is then null or what was seen so far). */
  readonly signal?: AbortSignal;
};

type Seen = ServerStatus & { readonly url: string };

/** Asks `servers` who leads; null when no leader is known (an election under way). */
export function findLeader(
  servers: readonly string[],
  query: LeaderQuery,
): Promise<LeaderView | null> {
  const majority = Math.floor(servers.length / 2) + 1;
  const abort = new AbortController();
  const signal =
    query.signal === undefined ? abort.signal : AbortSignal.any([abort.signal, query.signal]);
  const { after } = query;
  const path =
    after === undefined
      ? "/status"
      : `/status?leader-after-term=${after.term}&wait-ms=${after.waitMs}`;
  const timeoutMs = query.timeoutMs + (after?.waitMs ?? 0);
  const seen: Seen[] = [];
  let settled = 0;
  return new Promise((resolve) => {
    const finish = (view: LeaderView | null) => {
      abort.abort(); // the stragglers' requests are of no use now
      resolve(view);
    };
    for (const url of servers) {
      askStatus(url, path, timeoutMs, signal).then((status) => {
        settled += 1;
        if (status !== null) seen.push({ ...status, url });
        const view = leaderOf(seen);
        const newer = after !== undefined && view !== null && view.term > after.term;
        if (settled === servers.length || newer || (seen.length >= majority && view !== null)) {
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
  path: string,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<ServerStatus | null> {
  try {
    const response = await fetch(`${url}${path}`, {
      signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
    });
    return response.ok ? ((await response.json()) as ServerStatus) : null;
  } catch {
    return null;
  }
}
