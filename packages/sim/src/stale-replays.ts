import type { InstallSnapshot, Message, NodeId } from "@flotilla/core";
import type { Network, Prng } from "@flotilla/transport-memory";
import type { Trace } from "./trace.js";

// Stale replays (`--snapshot-replay P`, `snapshotReplayProbability`): an on-path replayer, an
// attacker re-sending datagrams it captured (authenticated and all: an HMAC does not make a
// datagram fresh) or a middlebox that holds and re-sends them. It keeps the InstallSnapshot
// chunks delivered to each node and, when that node restarts, sends them to it again with chance
// P, in their order, within two heartbeat intervals: the worst moment, as an adversary would
// choose it. That is the only path by which a node repairing a lost snapshot is offered one
// older than it (docs/testing.md, "Disk corruption"): it caught up by a snapshot, took a newer
// one, crashed, lost the newer one's bytes at rest and came back in the same term. Off unless set
// (never drawn by the seed), safety phase only, its draws from its own PRNG stream: other runs
// replay as before.

/** The chunks kept per node: the last transfers' (the simulator's snapshots are small). */
const keptPerNode = 16;

/** What the replays need from the simulation. */
export interface ReplayHost {
  /** Its clock, and whether a message would arrive now (receiver up, link not cut). */
  readonly network: Pick<Network, "nowMs" | "isUp" | "isLinkCut">;
  readonly trace: Pick<Trace, "fault">;
  /** Virtual ms between a leader's heartbeats. */
  readonly heartbeatMs: number;
  /** Whether the safety phase's faults are still on (replays end at the heal). */
  faultsOn(): boolean;
  /** Hands the message to its receiver. */
  receive(message: Message): void;
  scheduleAt(atMs: number, callback: () => void): void;
}

/** Keeps the InstallSnapshot chunks delivered to each node and replays them when it restarts. */
export class StaleReplays {
  readonly #host: ReplayHost;
  readonly #prng: Prng;
  readonly #probability: number;
  readonly #kept = new Map<NodeId, InstallSnapshot[]>();
  /** Chunks delivered again so far. */
  replayed = 0;

  constructor(host: ReplayHost, prng: Prng, probability: number) {
    this.#host = host;
    this.#prng = prng;
    this.#probability = probability;
  }

  /** A message was delivered: a snapshot chunk is kept for its receiver. */
  delivered(message: Message): void {
    if (this.#probability === 0 || message.type !== "installSnapshot") return;
    let kept = this.#kept.get(message.to);
    if (kept === undefined) {
      kept = [];
      this.#kept.set(message.to, kept);
    }
    kept.push(message);
    if (kept.length > keptPerNode) kept.shift();
  }

  /** `node` restarted: with the replay chance, the chunks kept for it are sent to it again. */
  restarted(node: NodeId): void {
    const kept = this.#kept.get(node);
    const host = this.#host;
    if (kept === undefined || !host.faultsOn() || !this.#prng.chance(this.#probability)) return;
    const startMs = host.network.nowMs + 1 + this.#prng.int(2 * host.heartbeatMs);
    kept.forEach((message, i) => {
      host.scheduleAt(startMs + i, () => this.#replay(message));
    });
  }

  #replay(message: InstallSnapshot): void {
    const host = this.#host;
    const network = host.network;
    if (
      !host.faultsOn() ||
      !network.isUp(message.to) ||
      network.isLinkCut(message.from, message.to)
    )
      return;
    this.replayed++;
    host.trace.fault(
      network.nowMs,
      `replay to n${message.to}: n${message.from}'s installSnapshot of term ${message.term}, snapshot ${message.snapshotIndex}/${message.snapshotTerm} at offset ${message.offset}`,
    );
    host.receive(message);
  }
}
