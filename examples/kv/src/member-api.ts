// The membership part of the client API (`kv member ...` calls these):
//
//   GET    /members                 -> 200 this node's view: {id, role, term, leader, leaderUrl,
//                                      joint, membership, members: [{id, role, raft, api, match?}]}
//   POST   /members    body: {"id", "raft": "host:port", "api": "host:port", "learner"?: bool}
//                                   -> 200 {"ok": true, id, role, membership}
//   POST   /members/:id/promote     -> 200 {"ok": true, id, role: "voter", membership}
//   DELETE /members/:id             -> 200 {"ok": true, id, membership}
//
// GET answers from any node (a joining server asks it for the cluster's addresses); the others are
// served by the leader only: a follower redirects (307) like a write. Adding a node first commits
// its addresses to the log (address-book.ts), so every member can reach it before it is a member,
// then adds it as a learner. A voter is promoted once it has caught up with the leader's log
// (thesis §4.2.1: a new voter that lags leaves the cluster unable to commit until it catches
// up), retried until `catchUpMs` have passed. The core's typed refusals become 4xx answers naming
// the reason (a change already in progress: 503, retry safe, so clients wait their turn).

import type { IncomingMessage } from "node:http";
import {
  MembershipChangeRefusedError,
  type MembershipRefusal,
  type NodeId,
  NotLeaderError,
  nodeId,
} from "@flotilla/core";
import { toRecord } from "./address-book.js";
import { type HostPort, parseHostPort } from "./addresses.js";
import { type ApiContext, leaderOnly } from "./api-context.js";
import { badRequest, failure, type Reply, readBody, tooLarge } from "./http-reply.js";
import { encodeMemberCommand, idMistake } from "./member-command.js";

/** How long an added voter may take to catch up before its promotion is given up. */
export const catchUpMs = 30_000;
/**
 * How long one change (or an address record) may take to commit before it is answered TIMEOUT
 * (outcome unknown). Longer than a client write's --proposal-timeout-ms: a change is rare, and an
 * operator would rather wait than learn that it may or may not have happened.
 */
const changeTimeoutMs = 30_000;
const catchUpPollMs = 50;

export async function routeMembers(
  context: ApiContext,
  request: IncomingMessage,
  path: string,
  method: string,
): Promise<Reply> {
  if (path === "/members" && method === "GET") return { status: 200, body: list(context) };
  const current = context.node.status();
  if (current.phase !== "running") {
    const message = `node is ${current.phase}`;
    return { status: 503, body: { error: "STOPPING", message, retry: "safe" } };
  }
  if (path === "/members" && method === "POST") {
    const text = await readBody(request);
    if (text === null) return tooLarge();
    const parsed = parseAddition(text);
    if (typeof parsed === "string") return badRequest(parsed);
    return add(context, request, parsed);
  }
  const match = /^\/members\/([^/]+)(\/promote)?$/.exec(path);
  let id: string | null = null;
  try {
    id = match === null ? null : decodeURIComponent(match[1] as string);
  } catch {
    return badRequest("the node id is not valid percent-encoding");
  }
  if (id !== null && match?.[2] !== undefined && method === "POST") {
    return change(context, request, id, () => promoteWhenCaughtUp(context, nodeId(id)));
  }
  if (id !== null && match?.[2] === undefined && method === "DELETE") {
    const timeoutMs = changeTimeoutMs;
    return change(context, request, id, () => context.node.remove(nodeId(id), { timeoutMs }));
  }
  return { status: 405, body: { error: "METHOD_NOT_ALLOWED", message: `${method} ${path}` } };
}

type Addition = {
  readonly id: string;
  readonly raft: HostPort;
  readonly api: HostPort;
  readonly learner: boolean;
};

function parseAddition(text: string): Addition | string {
  const shape =
    'the body must be JSON: {"id", "raft": "host:port", "api": "host:port", "learner"?}';
  let body: Record<string, unknown>;
  try {
    body = (JSON.parse(text) ?? {}) as Record<string, unknown>;
  } catch {
    return shape;
  }
  const mistake = idMistake(body.id);
  if (mistake !== null) return mistake;
  const raft = typeof body.raft === "string" ? parseHostPort(body.raft) : null;
  const api = typeof body.api === "string" ? parseHostPort(body.api) : null;
  if (raft === null) return `raft: expected host:port, got ${JSON.stringify(body.raft)}`;
  if (api === null) return `api: expected host:port, got ${JSON.stringify(body.api)}`;
  if (body.learner !== undefined && typeof body.learner !== "boolean") {
    return "learner must be true or false";
  }
  return { id: body.id as string, raft, api, learner: body.learner === true };
}

async function add(context: ApiContext, request: IncomingMessage, addition: Addition) {
  const { node } = context;
  const { id, learner } = addition;
  const timeoutMs = changeTimeoutMs;
  const status = node.status();
  if (status.role !== "leader") return leaderOnly(context, request, status.leader);
  // Checked before the addresses are recorded, so a mistaken add never moves a member.
  if (roleOf(status.membership, id) !== null) {
    return refused(context, request, { reason: "alreadyMember", id: nodeId(id) });
  }
  const record = toRecord(id, addition);
  try {
    await node.propose(encodeMemberCommand(record), { timeoutMs });
  } catch (error) {
    if (error instanceof NotLeaderError) return leaderOnly(context, request, error.leader);
    return failure(context.addresses, error);
  }
  const added = await change(context, request, id, () =>
    node.addLearner(nodeId(id), { timeoutMs }),
  );
  if (learner || added.status !== 200) return added;
  const promoted = await change(context, request, id, () =>
    promoteWhenCaughtUp(context, nodeId(id)),
  );
  if (promoted.status === 200) return promoted;
  // Say what did happen: the node is a learner now, and a promote will finish the job.
  const body = promoted.body as Record<string, unknown>;
  const message = `${id} was added as a learner but not promoted (${String(body.message)}); run kv member promote ${id}`;
  return { ...promoted, body: { ...body, message, added: "learner" } };
}

/** Promotes learner `id`, retrying while the core refuses it for lagging, up to `catchUpMs`. */
async function promoteWhenCaughtUp(context: ApiContext, id: NodeId): Promise<void> {
  const started = performance.now();
  for (let waits = 0; ; waits++) {
    try {
      await context.node.promote(id, { timeoutMs: changeTimeoutMs });
      if (waits > 0) {
        const ms = Math.round(performance.now() - started);
        context.log?.info({ peer: id, ms }, "learner caught up and promoted");
      }
      return;
    } catch (error) {
      const lagging =
        error instanceof MembershipChangeRefusedError && error.refusal.reason === "learnerLagging";
      if (!lagging || performance.now() > started + catchUpMs) throw error;
      if (waits === 0) {
        const match = context.node.status().progress?.[id]?.match;
        context.log?.info({ peer: id, match }, "promotion waits for the learner to catch up");
      }
      await new Promise((resolve) => setTimeout(resolve, catchUpPollMs));
    }
  }
}

/** Runs one membership change and answers with the membership after it, or why it failed. */
async function change(
  context: ApiContext,
  request: IncomingMessage,
  id: string,
  run: () => Promise<void>,
): Promise<Reply> {
  try {
    await run();
  } catch (error) {
    if (error instanceof MembershipChangeRefusedError) {
      return refused(context, request, error.refusal);
    }
    if (error instanceof NotLeaderError) return leaderOnly(context, request, error.leader);
    return failure(context.addresses, error);
  }
  const { membership } = context.node.status();
  return { status: 200, body: { ok: true, id, role: roleOf(membership, id), membership } };
}

/** The core's typed refusal as an answer; nothing was appended, so a retry is always safe. */
function refused(context: ApiContext, request: IncomingMessage, refusal: MembershipRefusal) {
  const answer = (status: number, error: string, message: string): Reply => ({
    status,
    body: { error, reason: refusal.reason, message, retry: "safe" },
  });
  switch (refusal.reason) {
    case "notLeader":
      return leaderOnly(context, request, refusal.leader);
    case "changePending":
    case "inJoint":
      return answer(503, "CHANGE_PENDING", "another membership change is in progress");
    case "transferring":
      return answer(503, "TRANSFERRING", `the leader is handing leadership to ${refusal.to}`);
    case "alreadyMember":
    case "duplicateNode":
      return answer(409, "ALREADY_MEMBER", `${refusal.id} is already a member`);
    case "unknownNode":
      return answer(404, "UNKNOWN_MEMBER", `${refusal.id} is not a member`);
    case "notLearner":
      return answer(409, "NOT_LEARNER", `${refusal.id} is not a learner`);
    case "notVoter":
      return answer(409, "NOT_VOTER", `${refusal.id} is not a voter`);
    case "lastVoter":
      return answer(409, "LAST_VOTER", "the cluster cannot lose its last voter");
    case "learnerLagging":
      return answer(
        409,
        "LEARNER_LAGGING",
        `${refusal.id} has not caught up with the leader's log within ${catchUpMs} ms`,
      );
    case "noOperations":
    case "notJoint":
      return answer(400, "BAD_REQUEST", `membership change refused: ${refusal.reason}`);
    default: {
      const never: never = refusal;
      throw new TypeError(`unknown refusal ${JSON.stringify(never)}`);
    }
  }
}

type Membership = ReturnType<ApiContext["node"]["status"]>["membership"];
type MemberRole = "voter" | "learner" | "outgoing";

/** A node's place in a configuration; "outgoing": a voter of the old half of a joint one only. */
function roleOf(membership: Membership, id: string): MemberRole | null {
  if (membership.voters.includes(id as NodeId)) return "voter";
  if (membership.learners.includes(id as NodeId)) return "learner";
  if (membership.outgoing?.includes(id as NodeId)) return "outgoing";
  return null;
}

/** This node's view of the membership, with every member's addresses (and progress on a leader). */
function list(context: ApiContext) {
  const { id, role, term, leader, membership, progress } = context.node.status();
  const { addresses } = context;
  const ids = [
    ...new Set([...membership.voters, ...(membership.outgoing ?? []), ...membership.learners]),
  ];
  const members = ids.map((member) => {
    const known = addresses.get(member);
    const match = member === id ? undefined : progress?.[member]?.match;
    return {
      id: member,
      role: roleOf(membership, member),
      raft: known === undefined ? null : toRecord(member, known).raft,
      api: known === undefined ? null : toRecord(member, known).api,
      ...(match === undefined ? {} : { match }),
    };
  });
  const leaderUrl = leader === null ? null : addresses.apiUrl(leader);
  const joint = membership.outgoing !== undefined;
  // Every address this node knows, members or not: a joining node seeds its transport from them.
  const known = addresses.all();
  return { id, role, term, leader, leaderUrl, joint, membership, members, addresses: known };
}
