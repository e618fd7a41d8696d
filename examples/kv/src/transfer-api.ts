// POST /admin/transfer {"to": id}: hands leadership to node `id` (Raft thesis §3.10) and answers
// once it leads: 200 {"ok": true, "leader": id}; 409 TRANSFER_REFUSED (not a voter, not a member,
// a transfer under way) or TRANSFER_FAILED (it did not take over within an election timeout, or
// another node won the election that followed). Only the leader can: a follower answers 307 to
// it, like a key operation. Once `id` leads, asking again is answered 200 at once, so a retried
// request gets the answer the first one would have.

import type { IncomingMessage } from "node:http";
import {
  LeadershipTransferFailedError,
  LeadershipTransferRefusedError,
  nodeId,
} from "@flotilla/core";
import { type ApiContext, leaderOnly } from "./api-context.js";
import { badRequest, failure, type Reply } from "./http-reply.js";

/** Handles POST /admin/transfer with the request's body `text` (null: too large). */
export async function transferLeadership(
  context: ApiContext,
  request: IncomingMessage,
  text: string | null,
): Promise<Reply> {
  const to = parseTarget(text);
  if (to === null) return badRequest('the body must be JSON: {"to": node id}');
  const { node } = context;
  const current = node.status();
  if (current.role === "leader" && to === current.leader) {
    return { status: 200, body: { ok: true, leader: to } };
  }
  if (current.role !== "leader") return leaderOnly(context, request, current.leader);
  try {
    await node.transferLeadership(nodeId(to), { timeoutMs: context.proposalTimeoutMs });
    return { status: 200, body: { ok: true, leader: to } };
  } catch (error) {
    if (error instanceof LeadershipTransferRefusedError && error.reason === "notLeader") {
      return leaderOnly(context, request, error.leader);
    }
    if (
      error instanceof LeadershipTransferRefusedError ||
      error instanceof LeadershipTransferFailedError
    ) {
      const { code, message, reason, leader } = error;
      return { status: 409, body: { error: code, reason, message, leader, retry: "safe" } };
    }
    return failure(context.addresses, error);
  }
}

function parseTarget(text: string | null): string | null {
  let to: unknown;
  try {
    to = (JSON.parse(text ?? "") as { to?: unknown } | null)?.to;
  } catch {
    return null;
  }
  return typeof to === "string" && to !== "" ? to : null;
}
