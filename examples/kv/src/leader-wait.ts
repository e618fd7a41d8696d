// GET /status?leader-after-term=T&wait-ms=W: the answer is held until this server knows a leader
// at a term above T (itself, or one that reached it), or W ms passed, or the client hung up. A
// client whose leader went silent asks every server this way once and hears of the next leader the
// moment one of them does, instead of polling (each poll a round of requests, and up to a polling
// period late). Only the wait lives here; the answer is the ordinary status.

import type { IncomingMessage } from "node:http";
import type { FlotillaNode } from "@flotilla/core";

/** The longest a status request may be held (a client asks again if it wants to wait longer). */
export const leaderWaitMsMax = 60_000;

/** The wait a status request asks for, or null for an answer at once. A bad value: a string. */
export function parseLeaderWait(
  params: URLSearchParams,
): { readonly afterTerm: number; readonly waitMs: number } | null | string {
  const term = params.get("leader-after-term");
  if (term === null) return null;
  const wait = params.get("wait-ms") ?? "1000";
  if (!/^[0-9]{1,15}$/.test(term) || !/^[0-9]{1,15}$/.test(wait)) {
    return "leader-after-term and wait-ms must be non-negative integers";
  }
  return { afterTerm: Number(term), waitMs: Math.min(Number(wait), leaderWaitMsMax) };
}

/**
 * Resolves once `node` knows a leader at a term above `afterTerm`, after `waitMs`, or when the
 * request's connection closes, whichever comes first.
 */
export function waitForLeaderAfter(
  node: FlotillaNode<unknown>,
  request: IncomingMessage,
  afterTerm: number,
  waitMs: number,
): Promise<void> {
  const known = (leader: string | null, term: number) => leader !== null && term > afterTerm;
  const now = node.status();
  if (known(now.leader, now.term) || waitMs === 0) return Promise.resolve();
  return new Promise((resolve) => {
    const onRole = (event: { readonly leader: string | null; readonly term: number }) => {
      if (known(event.leader, event.term)) done();
    };
    const done = () => {
      clearTimeout(timer);
      node.events.off("role", onRole);
      request.socket.off("close", done);
      resolve();
    };
    const timer = setTimeout(done, waitMs);
    node.events.on("role", onRole);
    // The socket, not the request: a request without a body counts as complete once read.
    request.socket.once("close", done);
  });
}
