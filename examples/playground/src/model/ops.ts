import { type NodeId, status } from "@flotilla/core";
import type { Notice } from "./node-step.js";
import type { ClientOp, SimNode, World } from "./types.js";

// What became of each client or operator request, learned only from the effects of the node it
// was sent to, as a client of that node would (the driver's registries do the same for
// createNode): a put or a membership change is committed once its entry is applied in the term
// it was appended in; a read is served from the state machine once it has applied the read's
// index; a transfer is done once the old leader sees its target lead a later term.

const recentOpsMax = 30;

export function withOp(world: World, op: ClientOp): World {
  return { ...world, ops: [...world.ops.slice(-(recentOpsMax - 1)), op] };
}

/** A new request, numbered in the order requests were made. */
export function newOp(
  world: World,
  fields: Pick<ClientOp, "kind" | "node" | "what"> & Partial<ClientOp>,
): ClientOp {
  return {
    id: `op${world.opsStarted + 1}`,
    key: null,
    subject: null,
    outcome: "pending",
    index: null,
    term: null,
    value: null,
    detail: "sent",
    ...fields,
  };
}

/** The node's notices settle the requests sent to it; then ready reads it has caught up with. */
export function noteOps(world: World, id: NodeId, notices: readonly Notice[]): World {
  let ops = world.ops;
  for (const notice of notices) {
    ops = ops.map((op) => (op.node === id ? opAfter(op, notice) : op));
  }
  const node = world.nodes.find((n) => n.id === id);
  if (node !== undefined && ops.some((op) => isWaitingRead(op, id))) {
    const applied = status(node.state).applied;
    ops = ops.map((op) => (isWaitingRead(op, id) && op.index! <= applied ? served(op, node) : op));
  }
  return ops === world.ops ? world : { ...world, ops };
}

/** Requests the crashed node had not answered: their outcome cannot be known any more. */
export function lostWith(world: World, id: NodeId): World {
  const ops = world.ops.map((op) =>
    op.node === id && (op.outcome === "pending" || op.outcome === "accepted")
      ? { ...op, outcome: "unknown" as const, detail: `${id} crashed before answering` }
      : op,
  );
  return { ...world, ops };
}

function isWaitingRead(op: ClientOp, id: NodeId): boolean {
  return op.kind === "read" && op.node === id && op.outcome === "accepted";
}

function served(op: ClientOp, node: SimNode): ClientOp {
  const value = node.kv.get(op.key ?? "") ?? null;
  const shown = value === null ? "absent" : `"${value}"`;
  return { ...op, outcome: "served", value, detail: `${shown}, read index ${op.index}` };
}

function opAfter(op: ClientOp, notice: Notice): ClientOp {
  switch (notice.kind) {
    case "accepted":
      if (notice.id !== op.id) return op;
      return {
        ...op,
        outcome: "accepted",
        index: notice.index,
        term: notice.term,
        detail: `at ${notice.index}, term ${notice.term}`,
      };
    case "rejected":
      return notice.id === op.id ? { ...op, outcome: "rejected", detail: notice.detail } : op;
    case "readReady":
      if (notice.id !== op.id) return op;
      return {
        ...op,
        outcome: "accepted",
        index: notice.index,
        detail: `read index ${notice.index}`,
      };
    case "applied":
      if (op.kind === "read" || op.outcome !== "accepted" || op.index !== notice.index) return op;
      return notice.term === op.term
        ? {
            ...op,
            outcome: "committed",
            detail: `committed at ${notice.index}, term ${notice.term}`,
          }
        : { ...op, outcome: "unknown", detail: `slot ${notice.index} went to term ${notice.term}` };
    case "transferStarted":
    case "transferRefused":
    case "transferAborted":
    case "leaderSeen":
      return op.kind === "transfer" ? transferAfter(op, notice) : op;
    default:
      throw new Error(`unknown notice ${JSON.stringify(notice satisfies never)}`);
  }
}

/** A transfer is answered by effects that carry its target, not its id (one at a time per leader). */
function transferAfter(
  op: ClientOp,
  notice: Extract<
    Notice,
    { kind: "transferStarted" | "transferRefused" | "transferAborted" | "leaderSeen" }
  >,
): ClientOp {
  if (notice.kind === "leaderSeen") {
    // Thesis §3.10: done once the target leads a later term; another leader means it failed.
    if (op.outcome !== "accepted" || notice.term <= op.term! || notice.leader === null) return op;
    return notice.leader === op.subject
      ? { ...op, outcome: "done", detail: `${notice.leader} leads term ${notice.term}` }
      : { ...op, outcome: "failed", detail: `${notice.leader} took over in term ${notice.term}` };
  }
  if (notice.to !== op.subject) return op;
  if (notice.kind === "transferStarted" && op.outcome === "pending") {
    return {
      ...op,
      outcome: "accepted",
      term: notice.term,
      detail: `handing over in term ${notice.term}`,
    };
  }
  if (notice.kind === "transferRefused" && op.outcome === "pending") {
    return { ...op, outcome: "rejected", detail: notice.detail };
  }
  if (notice.kind === "transferAborted" && op.outcome === "accepted") {
    return { ...op, outcome: "failed", detail: "aborted: the target did not take over in time" };
  }
  return op;
}
