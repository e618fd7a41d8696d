// The driver's counters and histograms (`FlotillaNode.stats()`): what an operator graphs. Plain
// numbers with no metrics library behind them; examples/kv exports them through prom-client.

import type { Effect, Role } from "../effect.js";
import type { Event } from "../event.js";
import type { NodeId, Term } from "../ids.js";
import type { Message, MessageType } from "../message.js";
import {
  Histogram,
  type HistogramSnapshot,
  latencyBoundsMs,
  sizeBoundsBytes,
} from "./histogram.js";

/** Counts per message type; types never seen are absent. */
export type CountsByType = Readonly<Partial<Record<MessageType, number>>>;

/** A node's counters since it was created, from `FlotillaNode.stats()`. */
export type NodeStats = {
  /** Proposals the core appended (this node led) and refused (any reason). */
  readonly proposals: { readonly accepted: number; readonly rejected: number };
  /** Log entries this node learnt were committed, and applied to its state machine. */
  readonly entriesCommitted: number;
  readonly entriesApplied: number;
  /** Elections this node started (pre-vote rounds included) and leaders it has seen take over. */
  readonly electionsStarted: number;
  readonly leaderChanges: number;
  readonly term: Term;
  readonly messagesSent: CountsByType;
  readonly messagesReceived: CountsByType;
  /**
   * Entry and snapshot bytes carried by the messages sent, by type. Headers are not counted: the
   * transport encodes, so only it knows the datagram sizes.
   */
  readonly payloadBytesSent: CountsByType;
  /**
   * Snapshot bytes sent again: the part of each InstallSnapshot chunk that an earlier chunk of the
   * same snapshot to the same follower already carried (a gap filled, a resend after silence, a
   * transfer started over). Counted in `payloadBytesSent` too; the difference is what was new.
   */
  readonly snapshotBytesResent: number;
  /** Messages from peers the core dropped as bad input, by type (reasons go to the logger). */
  readonly droppedByType: CountsByType;
  /** How long storage took to make a turn's writes durable, in milliseconds. */
  readonly persistMs: HistogramSnapshot;
  /** How long the state machine took to apply a turn's committed entries, in milliseconds. */
  readonly applyMs: HistogramSnapshot;
  /** Sizes of the snapshots this node took, in bytes. */
  readonly snapshotBytes: HistogramSnapshot;
};

function bump(counts: Partial<Record<MessageType, number>>, type: MessageType, by = 1): void {
  counts[type] = (counts[type] ?? 0) + by;
}

function payloadBytes(message: Message): number {
  switch (message.type) {
    case "appendEntries": {
      let bytes = 0;
      for (const entry of message.entries) if (entry.kind === "command") bytes += entry.data.length;
      return bytes;
    }
    case "installSnapshot":
      return message.data.length;
    default:
      return 0;
  }
}

/** Accumulates `NodeStats` from what the driver sees; `snapshot()` copies them out. */
export class StatsRecorder {
  readonly #sent: Partial<Record<MessageType, number>> = {};
  readonly #received: Partial<Record<MessageType, number>> = {};
  readonly #payload: Partial<Record<MessageType, number>> = {};
  readonly #dropped: Partial<Record<MessageType, number>> = {};
  /** Per follower: the snapshot last sent to it, and how far into it any chunk reached. */
  readonly #snapshotSentTo = new Map<NodeId, { index: number; term: number; end: number }>();
  #snapshotResent = 0;
  readonly persistMs = new Histogram(latencyBoundsMs);
  readonly applyMs = new Histogram(latencyBoundsMs);
  readonly snapshotBytes = new Histogram(sizeBoundsBytes);
  #accepted = 0;
  #rejected = 0;
  #committed = 0;
  #applied = 0;
  #elections = 0;
  #leaderChanges = 0;
  #term = 0 as Term;
  #leader: NodeId | null = null;
  #role: Role = "follower";

  /** One step of the core: what came in, and what it decided. */
  stepped(event: Event, effects: readonly Effect[]): void {
    if (event.type === "receive") bump(this.#received, event.message.type);
    for (const effect of effects) {
      switch (effect.type) {
        case "proposalAccepted":
          this.#accepted += 1;
          break;
        case "proposalRejected":
          this.#rejected += 1;
          break;
        case "dropped":
          bump(this.#dropped, effect.message.type);
          break;
        case "roleChanged":
          this.#term = effect.term;
          // A sole voter goes from follower to leader in one step: an election all the same.
          if (
            effect.role === "preCandidate" ||
            effect.role === "candidate" ||
            (effect.role === "leader" && this.#role === "follower")
          ) {
            this.#elections += 1;
          }
          this.#role = effect.role;
          if (effect.leader !== null && effect.leader !== this.#leader) this.#leaderChanges += 1;
          this.#leader = effect.leader;
          break;
        default:
          break;
      }
    }
  }

  sent(messages: readonly Message[]): void {
    for (const message of messages) {
      bump(this.#sent, message.type);
      const bytes = payloadBytes(message);
      if (bytes > 0) bump(this.#payload, message.type, bytes);
      if (message.type === "installSnapshot") this.#snapshotChunkSent(message);
    }
  }

  #snapshotChunkSent(chunk: Extract<Message, { type: "installSnapshot" }>): void {
    const end = chunk.offset + chunk.data.length;
    const sentTo = this.#snapshotSentTo.get(chunk.to);
    if (
      sentTo === undefined ||
      sentTo.index !== chunk.snapshotIndex ||
      sentTo.term !== chunk.snapshotTerm
    ) {
      this.#snapshotSentTo.set(chunk.to, {
        index: chunk.snapshotIndex,
        term: chunk.snapshotTerm,
        end,
      });
      return;
    }
    this.#snapshotResent += Math.max(0, Math.min(end, sentTo.end) - chunk.offset);
    if (end > sentTo.end) sentTo.end = end;
  }

  committed(entries: number): void {
    this.#committed += entries;
  }

  applied(entries: number): void {
    this.#applied += entries;
  }

  snapshot(): NodeStats {
    return Object.freeze({
      proposals: Object.freeze({ accepted: this.#accepted, rejected: this.#rejected }),
      entriesCommitted: this.#committed,
      entriesApplied: this.#applied,
      electionsStarted: this.#elections,
      leaderChanges: this.#leaderChanges,
      term: this.#term,
      messagesSent: Object.freeze({ ...this.#sent }),
      messagesReceived: Object.freeze({ ...this.#received }),
      payloadBytesSent: Object.freeze({ ...this.#payload }),
      snapshotBytesResent: this.#snapshotResent,
      droppedByType: Object.freeze({ ...this.#dropped }),
      persistMs: this.persistMs.snapshot(),
      applyMs: this.applyMs.snapshot(),
      snapshotBytes: this.snapshotBytes.snapshot(),
    });
  }
}
