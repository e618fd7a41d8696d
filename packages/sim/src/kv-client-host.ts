// The contract between the simulator and its key-value clients (kv-clients.ts).

import type { KvOutput } from "@flotilla/kv-model";

/** What the clients need from the simulator. */
export interface ClientHost {
  readonly nodeCount: number;
  nowMs(): number;
  /** Calls `KvClients.on(kind, client, token)` at `atMs`. */
  schedule(atMs: number, kind: ClientEventKind, client: number, token: number): void;
  isUp(node: number): boolean;
  /**
   * Proposes `data` at `node` as `createNode`'s `propose` does; `KvClients.settled(id, ...)` tells
   * how it ended, once the driver's ProposalRegistry settles it.
   */
  propose(node: number, id: string, data: Uint8Array): void;
  /**
   * Reads `key` at `node` as `createNode`'s `read` does (no log write), then from its state
   * machine; `KvClients.settled(id, ...)` tells how it ended (ok with the value, or retry).
   */
  read(node: number, id: string, key: string, consistency: "readIndex" | "lease"): void;
  trace(detail: string): void;
  /**
   * The node that says it leads at the highest term, as a client learns by asking every server
   * that answers (a paused or crashed one does not); null when none does.
   */
  whoLeads(): number | null;
}

/**
 * How a proposal settled, as a client sees the driver's answer: the state machine's output; a
 * definite failure to retry (not the leader, with its hint; the entry lost to another leader's);
 * or an unknown outcome (the leader stepped down before its entry committed, or a snapshot
 * replaced the log over it): the entry may still take effect.
 */
export type ProposalOutcome =
  | { readonly kind: "ok"; readonly output: KvOutput }
  | { readonly kind: "retry"; readonly leader: number | null; readonly reason: string }
  | { readonly kind: "unknown"; readonly reason: string };

export type ClientEventKind = "invoke" | "arrive" | "reply" | "timeout" | "stall";

export type ClientOptions = {
  readonly clientCount: number;
  readonly keyCount: number;
  readonly thinkMeanMs: number;
  readonly latencyMinMs: number;
  readonly latencyMaxMs: number;
  readonly operationTimeoutMs: number;
  /** How long a client waits before retrying when nobody is known to lead. */
  readonly retryBackoffMs: number;
  /** The share of gets issued as reads without a log write (SimulationOptions.readShare). */
  readonly readShare: number;
  /** The share of reads sent to a random node (SimulationOptions.readAnyNodeShare). */
  readonly readAnyNodeShare: number;
  /** Whether the nodes allow lease reads (then half the reads ask for one). */
  readonly leaseReads: boolean;
  /** A request unanswered this long sends its client to whoever leads now; 0: never. */
  readonly stallMs: number;
  /**
   * The first this many clients only read (gets), with a lease where the cluster allows one, at
   * the node they think leads: they stay with a leader that answers them.
   */
  readonly readOnlyClients: number;
  /** The read-only clients' own `thinkMeanMs`; 0: the same as the others'. */
  readonly readerThinkMeanMs: number;
};
