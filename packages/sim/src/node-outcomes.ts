import {
  LeadershipLostError,
  LeadershipTransferringError,
  type NodeId,
  NotLeaderError,
  OutcomeUnknownError,
  OverloadedError,
  SteppedDownError,
} from "@flotilla/core";
import type { ProposalOutcome } from "./kv-client-host.js";

/**
 * What a client makes of the driver's settlement of its proposal: the typed errors of
 * createNode's `propose`. Null for an error no proposal of the simulator can meet (a bug).
 */
export function outcomeOf(
  error: unknown,
  nodeIndex: (id: NodeId | null) => number | null,
): ProposalOutcome | null {
  if (error instanceof NotLeaderError) {
    return { kind: "retry", leader: nodeIndex(error.leader), reason: "notLeader" };
  }
  if (error instanceof OverloadedError) {
    return { kind: "retry", leader: nodeIndex(error.leader), reason: "overloaded" };
  }
  if (error instanceof LeadershipTransferringError) {
    // Names this node, which still leads: the client backs off instead of bouncing at once.
    return { kind: "retry", leader: nodeIndex(error.leader), reason: "transferring" };
  }
  if (error instanceof LeadershipLostError) {
    return { kind: "retry", leader: null, reason: `entry ${error.index}/${error.term} lost` };
  }
  if (error instanceof SteppedDownError || error instanceof OutcomeUnknownError) {
    return { kind: "unknown", reason: error.code };
  }
  return null;
}

/** An error's code and message, for the trace. */
export function describeError(error: Error): string {
  const code = (error as { readonly code?: unknown }).code;
  return typeof code === "string" ? `${code} ${error.message}` : error.message;
}
