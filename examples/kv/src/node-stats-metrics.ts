// The node's own counters and histograms (`node.stats()`, no dependency in core) exported through
// prom-client. Counters advance by the difference since the last scrape; the histograms are
// cumulative already, so they are handed to the registry as they are (a small collector of the
// shape prom-client's Registry reads, rather than re-observing every sample).

import type { CountsByType, FlotillaNode, HistogramSnapshot, NodeStats } from "@flotilla/core";
import { Counter, Gauge, type Metric, type Registry } from "prom-client";

type Read = (stats: NodeStats) => number;

export function registerNodeStats(registry: Registry, node: FlotillaNode<unknown>): void {
  const id = node.id;
  // Each collector reads node.stats() itself: a copy of a few counters, cheap at scrape rates.
  const stats = () => node.stats();
  const counter = (name: string, help: string, read: Read) => {
    let seen = 0;
    new Counter({
      name,
      help,
      labelNames: ["node"],
      registers: [registry],
      collect() {
        const now = read(stats());
        this.inc({ node: id }, now - seen);
        seen = now;
      },
    });
  };
  counter(
    "flotilla_proposals_accepted_total",
    "Proposals the core appended as leader.",
    (s) => s.proposals.accepted,
  );
  counter(
    "flotilla_proposals_refused_total",
    "Proposals the core refused (not leader, full, too large).",
    (s) => s.proposals.rejected,
  );
  counter(
    "flotilla_entries_committed_total",
    "Log entries this node learnt were committed.",
    (s) => s.entriesCommitted,
  );
  counter(
    "flotilla_entries_applied_total",
    "Log entries applied to the store.",
    (s) => s.entriesApplied,
  );
  counter(
    "flotilla_elections_started_total",
    "Elections this node started (pre-vote rounds included).",
    (s) => s.electionsStarted,
  );
  byType(
    registry,
    id,
    stats,
    "flotilla_messages_sent_total",
    "Raft messages sent, by type.",
    (s) => s.messagesSent,
  );
  byType(
    registry,
    id,
    stats,
    "flotilla_messages_received_total",
    "Raft messages received, by type.",
    (s) => s.messagesReceived,
  );
  byType(
    registry,
    id,
    stats,
    "flotilla_payload_bytes_sent_total",
    "Entry and snapshot bytes sent, by message type.",
    (s) => s.payloadBytesSent,
  );
  counter(
    "flotilla_snapshot_bytes_resent_total",
    "Snapshot bytes sent to a follower that an earlier chunk of the same snapshot already carried.",
    (s) => s.snapshotBytesResent,
  );
  byType(
    registry,
    id,
    stats,
    "flotilla_messages_dropped_total",
    "Bad messages from peers the core dropped, by type.",
    (s) => s.droppedByType,
  );
  histogram(
    registry,
    id,
    stats,
    "flotilla_persist_seconds",
    "Time to make a turn's writes durable.",
    (s) => s.persistMs,
    1 / 1000,
  );
  histogram(
    registry,
    id,
    stats,
    "flotilla_apply_seconds",
    "Time to apply a turn's committed entries.",
    (s) => s.applyMs,
    1 / 1000,
  );
  histogram(
    registry,
    id,
    stats,
    "flotilla_snapshot_bytes",
    "Sizes of the snapshots taken.",
    (s) => s.snapshotBytes,
    1,
  );
  new Gauge({
    name: "flotilla_peer_match_lag_entries",
    help: "Leader only: entries each peer's log lags behind the leader's last index.",
    labelNames: ["node", "peer"],
    registers: [registry],
    collect() {
      this.reset();
      const { progress, lastLogIndex } = node.status();
      for (const [peer, p] of Object.entries(progress ?? {})) {
        this.set({ node: id, peer }, lastLogIndex - p.match);
      }
    },
  });
}

function byType(
  registry: Registry,
  id: string,
  stats: () => NodeStats,
  name: string,
  help: string,
  read: (stats: NodeStats) => CountsByType,
): void {
  const seen = new Map<string, number>();
  new Counter({
    name,
    help,
    labelNames: ["node", "type"],
    registers: [registry],
    collect() {
      for (const [type, count = 0] of Object.entries(read(stats()))) {
        this.inc({ node: id, type }, count - (seen.get(type) ?? 0));
        seen.set(type, count);
      }
    },
  });
}

/** A histogram whose buckets the node already counts: reported as they are, scaled by `unit`. */
function histogram(
  registry: Registry,
  id: string,
  stats: () => NodeStats,
  name: string,
  help: string,
  read: (stats: NodeStats) => HistogramSnapshot,
  unit: number,
): void {
  const collector = {
    name,
    help,
    type: "histogram",
    aggregator: "sum",
    get() {
      const h = read(stats());
      const labels = { node: id };
      const buckets = h.bounds.map((bound, i) => ({
        metricName: `${name}_bucket`,
        labels: { ...labels, le: bound * unit },
        value: h.counts[i] ?? 0,
      }));
      return {
        name,
        help,
        type: "histogram",
        aggregator: "sum",
        values: [
          ...buckets,
          { metricName: `${name}_bucket`, labels: { ...labels, le: "+Inf" }, value: h.count },
          { metricName: `${name}_sum`, labels, value: h.sum * unit },
          { metricName: `${name}_count`, labels, value: h.count },
        ],
      };
    },
  };
  registry.registerMetric(collector as unknown as Metric);
}
