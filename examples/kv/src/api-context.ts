// What every route of the client API works with: the node, its state, the address book, and the
// follower's answer to a request only the leader serves.

import type { IncomingMessage } from "node:http";
import type { FlotillaNode } from "@flotilla/core";
import type { UdpTransportStats } from "@flotilla/transport-udp";
import type { Logger } from "pino";
import type { AddressBook } from "./address-book.js";
import { type Reply, redirect } from "./http-reply.js";
import type { KvStore } from "./kv-store.js";
import type { KvMetrics } from "./metrics.js";
import type { PartitionableTransport } from "./partition.js";
import type { ServerOutput } from "./server-state.js";

export type ApiContext = {
  readonly node: FlotillaNode<ServerOutput>;
  readonly store: KvStore;
  /** Every node's Raft and client addresses: followers redirect to the leader's. */
  readonly addresses: AddressBook;
  readonly proposalTimeoutMs: number;
  /** The Raft transport's counters, in /status and /metrics. */
  readonly transportStats: () => UdpTransportStats;
  /** Fault injection (tests, benchmarks): absent unless the server enabled it. */
  readonly partition?: PartitionableTransport;
  /** What GET /metrics serves. */
  readonly metrics: KvMetrics;
  /** The server's log: membership requests say what they wait for. Absent: nothing logged. */
  readonly log?: Logger;
};

/** A follower's answer to a request only the leader serves: 307 to the leader, or 503. */
export function leaderOnly(
  context: ApiContext,
  request: IncomingMessage,
  leader: string | null,
): Reply {
  return redirect(context.addresses, context.node.id, request, leader);
}
