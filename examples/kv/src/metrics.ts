// GET /metrics: the node and its transport in the Prometheus text format, through prom-client.
// Gauges are read from node.status() and transport.stats() at scrape time; the transport's drop
// counts (monotonic since start) are exposed as counters, advanced by the difference since the last
// scrape; leader changes and proposals are counted as they happen. Node's default metrics
// (memory, event-loop delay) come along.
import type { FlotillaNode } from "@flotilla/core";
import type { UdpTransportStats } from "@flotilla/transport-udp";
import { Counter, collectDefaultMetrics, Gauge, Registry } from "prom-client";
import { registerNodeStats } from "./node-stats-metrics.js";

/** What the API counts of proposals, by outcome. */
export type ProposalOutcome = "committed" | "rejected" | "failed";

export type KvMetrics = {
  readonly registry: Registry;
  /** Counts one proposal's outcome. */
  proposal(outcome: ProposalOutcome): void;
};

const roles = ["follower", "preCandidate", "candidate", "leader"] as const;

export function createMetrics(
  node: FlotillaNode<unknown>,
  transportStats: () => UdpTransportStats,
): KvMetrics {
  const registry = new Registry();
  // The process's own: resident memory, heap, GC, and the event loop's delays measured with
  // monitorEventLoopDelay every 10 ms (nodejs_eventloop_lag_max_seconds: the longest stall since
  // the previous scrape). A stall longer than an election timeout costs the leadership.
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 10 });
  const labelNames = ["node"] as const;
  const gauge = (name: string, help: string, read: () => number) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.set({ node: node.id }, read());
      },
    });
  gauge("flotilla_term", "The node's current Raft term.", () => node.status().term);
  gauge(
    "flotilla_commit_index",
    "The highest log index known committed.",
    () => node.status().commitIndex,
  );
  gauge(
    "flotilla_applied_index",
    "The last log index applied to the store.",
    () => node.status().appliedIndex,
  );
  gauge(
    "flotilla_last_log_index",
    "The last index in the node's log.",
    () => node.status().lastLogIndex,
  );
  gauge(
    "flotilla_snapshot_index",
    "The index of the latest snapshot.",
    () => node.status().snapshotIndex,
  );
  gauge(
    "flotilla_pending_proposals",
    "Proposals waiting for an outcome.",
    () => node.status().pendingProposals,
  );
  new Gauge({
    name: "flotilla_role",
    help: "1 for the node's current role, 0 for the others.",
    labelNames: ["node", "role"],
    registers: [registry],
    collect() {
      const role = node.status().role;
      for (const r of roles) this.set({ node: node.id, role: r }, r === role ? 1 : 0);
    },
  });
  const leaderChanges = new Counter({
    name: "flotilla_leader_changes_total",
    help: "Times the known leader changed (including to none).",
    labelNames,
    registers: [registry],
  });
  leaderChanges.inc({ node: node.id }, 0); // present from the first scrape, before any change
  node.events.on("leader", () => leaderChanges.inc({ node: node.id }));
  const proposals = new Counter({
    name: "flotilla_proposals_total",
    help: "Proposals made through the API, by outcome.",
    labelNames: ["node", "outcome"],
    registers: [registry],
  });
  transportCounters(registry, node.id, transportStats);
  registerNodeStats(registry, node);
  return {
    registry,
    proposal: (outcome) => proposals.inc({ node: node.id, outcome }),
  };
}

/** The transport's drop counts by direction and reason, as counters. */
function transportCounters(registry: Registry, id: string, stats: () => UdpTransportStats): void {
  const seen = new Map<string, number>();
  new Counter({
    name: "flotilla_transport_dropped_total",
    help: "Datagrams (inbound) or messages (outbound) the UDP transport dropped, by reason.",
    labelNames: ["node", "direction", "reason"],
    registers: [registry],
    collect() {
      const now = stats();
      const directions = [
        ["inbound", now.dropped],
        ["outbound", now.sendDropped],
      ] as const;
      for (const [direction, counts] of directions) {
        for (const [reason, count] of Object.entries(counts)) {
          const key = `${direction} ${reason}`;
          this.inc({ node: id, direction, reason }, count - (seen.get(key) ?? 0));
          seen.set(key, count);
        }
      }
    },
  });
}
