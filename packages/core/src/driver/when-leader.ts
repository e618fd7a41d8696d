// Waiting for a leader, for applications and tests that start a cluster and want to propose: the
// node's `role` events plus a timeout, so nobody writes the same event-listener dance by hand.

import { FlotillaError } from "../errors.js";
import type { NodeId } from "../ids.js";
import { hostScheduler, type Scheduler } from "./scheduler.js";
import type { FlotillaNode, NodeStatus } from "./types.js";

/** Options of `whenLeader` and `ready`. */
export type WaitOptions = {
  /** Reject with NoLeaderError after this long; default 30,000 ms. */
  readonly timeoutMs?: number;
  /** Whose timer measures the timeout; the host's by default (inject a virtual clock in tests). */
  readonly scheduler?: Scheduler;
};

/** No leader within the time `whenLeader` or `ready` was given (`timeoutMs`). */
export class NoLeaderError extends FlotillaError {
  /** How long it waited. */
  readonly timeoutMs: number;
  constructor(timeoutMs: number) {
    super("NO_LEADER", `no leader within ${timeoutMs} ms`);
    this.timeoutMs = timeoutMs;
  }
}

const defaultTimeoutMs = 30_000;

/**
 * Resolves with the first of `nodes` that is (or becomes) leader: for a cluster run in one process
 * (tests, examples, simulations with real timers). Rejects with NoLeaderError after `timeoutMs`.
 */
export function whenLeader<Node extends FlotillaNode<unknown>>(
  nodes: readonly Node[],
  options: WaitOptions = {},
): Promise<Node> {
  return waitFor(nodes, (status) => status.role === "leader", options).then(([node]) => node);
}

/**
 * Resolves with the leader's id once `node` knows one (itself or a peer): the moment a node can
 * take proposals, directly or by naming the leader in a NotLeaderError. For a node in a cluster of
 * processes. Rejects with NoLeaderError after `timeoutMs`.
 */
export function ready(node: FlotillaNode<unknown>, options: WaitOptions = {}): Promise<NodeId> {
  return waitFor([node], (status) => status.leader !== null, options).then(
    ([, status]) => status.leader as NodeId,
  );
}

function waitFor<Node extends FlotillaNode<unknown>>(
  nodes: readonly Node[],
  done: (status: NodeStatus) => boolean,
  options: WaitOptions,
): Promise<[Node, NodeStatus]> {
  const timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
  const scheduler = options.scheduler ?? hostScheduler;
  return new Promise((resolve, reject) => {
    const check = () => {
      for (const node of nodes) {
        const status = node.status();
        if (done(status)) return finish(() => resolve([node, status]));
      }
    };
    const timer = scheduler.setTimeout(
      () => finish(() => reject(new NoLeaderError(timeoutMs))),
      timeoutMs,
    );
    const finish = (settle: () => void) => {
      scheduler.clearTimeout(timer);
      for (const node of nodes) node.events.off("role", check);
      settle();
    };
    for (const node of nodes) node.events.on("role", check);
    check();
  });
}
