import type { Event, MembershipChange, NodeId } from "@flotilla/core";
import type { NodeRuntime } from "@flotilla/core/runtime";
import type { KvOutput } from "@flotilla/kv-model";
import { describeChange } from "./membership-workload.js";
import type { NodeClock } from "./node-clock.js";
import type { NodeHost } from "./node-host.js";
import type { NodeSettlement } from "./node-settlement.js";
import { promoteOnceCaughtUp } from "./operator-catch-up.js";
import { type RaftCore, statusOf } from "./raft-core.js";

/** What a request reads of its node (sim-node.ts). */
export interface RequestedNode<S> {
  readonly id: NodeId;
  readonly up: () => boolean;
  /** The runtime of the running life, or null while down. */
  readonly runtime: () => NodeRuntime<S, KvOutput> | null;
  /** The process's clock: a paused process holds what arrives until it wakes (node-clock.ts). */
  readonly clock: NodeClock;
  readonly settlement: NodeSettlement;
  /** Hands an event to the runtime (a turn runs at once unless one waits on the disk). */
  readonly deliver: (event: Event) => void;
}

/**
 * What clients and operators ask of a simulated server, as createNode's methods do: propose, read,
 * hand leadership over, change the membership, promote a learner once it caught up. Each is
 * handed to the node's runtime through the driver's registries (node-settlement.ts); an
 * operator's requests are traced.
 */
export class NodeRequests<S> {
  readonly #host: NodeHost;
  readonly #core: RaftCore<S>;
  readonly #node: RequestedNode<S>;

  constructor(host: NodeHost, core: RaftCore<S>, node: RequestedNode<S>) {
    this.#host = host;
    this.#core = core;
    this.#node = node;
  }

  /** A client's proposal, as `createNode`'s `propose` (node-settlement.ts). */
  propose(clientId: string, data: Uint8Array): void {
    const node = this.#node;
    if (!node.up() || (node.clock.paused && node.clock.hold(() => this.propose(clientId, data)))) {
      return;
    }
    const event = node.settlement.propose(clientId, data);
    if (event !== null) node.deliver(event);
  }

  /**
   * A client's read of `key` without a log write, as `createNode`'s `read` (node-settlement.ts):
   * a lease read first queues the overdue tick, if the timer is late (tick-clock.ts).
   */
  read(clientId: string, key: string, consistency: "readIndex" | "lease"): void {
    const node = this.#node;
    const clock = node.clock;
    if (!node.up() || (clock.paused && clock.hold(() => this.read(clientId, key, consistency)))) {
      return;
    }
    const runtime = node.runtime();
    if (runtime === null) return;
    const overdue = consistency === "lease" ? node.clock.overdue() : null;
    if (overdue !== null) runtime.enqueue(overdue);
    const event = node.settlement.read(clientId, key, consistency, runtime.inboxMark);
    if (event !== null) node.deliver(event);
  }

  /** Asks the node to hand leadership to `to` (it refuses unless it leads). */
  transferLeadership(to: NodeId): void {
    this.#host.trace.fault(this.#host.nowMs, `transfer leadership n${this.#node.id} -> n${to}`);
    this.#node.deliver({ type: "transferLeadership", to });
  }

  /** A membership change (`force`: promote a lagging learner all the same). */
  changeMembership(change: MembershipChange, force: boolean): void {
    const node = this.#node;
    if (!node.up()) return;
    const host = this.#host;
    const forced = force ? " (forced)" : "";
    host.trace.fault(
      host.nowMs,
      `n${node.id}: change membership ${describeChange(change)}${forced}`,
    );
    const event = node.settlement.changeMembership(node.id, change, force);
    if (event !== null) node.deliver(event);
  }

  /** `promoteWhenCaughtUp`, as createNode runs it (operator-catch-up.ts). */
  promoteWhenCaughtUp(learner: NodeId): void {
    const node = this.#node;
    if (!node.up()) return;
    const status = statusOf(this.#core);
    promoteOnceCaughtUp(
      this.#host,
      {
        id: node.id,
        view: () => {
          const state = node.up() ? node.runtime()?.state : undefined;
          return state === undefined ? null : status(state);
        },
        change: (change) => {
          const registered = node.up() ? node.settlement.registerChange(change, false) : null;
          if (registered === null) return null;
          node.deliver(registered.event);
          return registered.promise;
        },
      },
      learner,
    );
  }
}
