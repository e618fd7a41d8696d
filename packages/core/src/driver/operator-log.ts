// What the driver tells an operator through `NodeOptions.logger`: role changes and why, elections,
// peers that went silent or came back, bad messages from peers (rate-limited), lost logs, slow
// writes, snapshots and failures. It only watches: nothing here changes what the node does.

import type { Effect, Role } from "../effect.js";
import type { Event } from "../event.js";
import type { NodeId, Term } from "../ids.js";
import type { LogFields, Logger, LogLevel } from "./logger.js";

/** After the first drop of a kind, further ones are summed and reported at most this often. */
const dropReportEveryMs = 10_000;
/** Senders are remote input: past this many kinds of drop, new kinds share one tally. */
const dropKindsMax = 256;

type DropTally = { count: number; since: number; latestReason: string };

export type OperatorLogOptions = {
  readonly id: NodeId;
  readonly logger: Logger | undefined;
  /** Milliseconds, monotonic; only differences are used. */
  readonly now: () => number;
  /** A peer not heard from for this long is reported unreachable (one election timeout). */
  readonly silenceMs: number;
  /** A storage write that took longer than this is reported as slow. */
  readonly slowWriteMs: number;
};

export class OperatorLog {
  readonly #options: OperatorLogOptions;
  readonly #lastHeard = new Map<NodeId, number>();
  readonly #unreachable = new Set<NodeId>();
  readonly #drops = new Map<string, DropTally>();
  #role: Role = "follower";
  #term = 0 as Term;

  constructor(options: OperatorLogOptions) {
    this.#options = options;
  }

  /** One step of the core. `peers`: the other members, asked only when a leader's timer ticks. */
  stepped(event: Event, effects: readonly Effect[], peers: () => readonly NodeId[]): void {
    if (this.#options.logger === undefined) return;
    if (event.type === "receive") this.#heard(event.message.from);
    for (const effect of effects) this.#effect(event, effect);
    if (event.type === "tick") {
      if (this.#role === "leader") this.#checkSilence(peers());
      this.#flushDrops(false);
    }
  }

  wrote(ms: number): void {
    if (ms > this.#options.slowWriteMs) {
      this.#log("warn", "slow storage write: longer than half an election timeout", {
        ms: Math.round(ms),
        thresholdMs: this.#options.slowWriteMs,
      });
    }
  }

  snapshot(origin: "taken" | "installed", index: number, term: number, bytes?: number): void {
    this.#log("info", `snapshot ${origin}`, {
      index,
      term,
      ...(bytes === undefined ? {} : { bytes }),
    });
  }

  /** A snapshot read to send failed its check: nothing was sent, a fresh one is being taken. */
  snapshotDamaged(index: number, detail: string): void {
    this.#log("warn", "snapshot failed its check while being sent; taking a fresh one", {
      index,
      error: detail,
    });
  }

  failed(code: string, message: string): void {
    this.#flushDrops(true);
    this.#log("error", "node failed and stopped", { code, error: message });
  }

  #effect(event: Event, effect: Effect): void {
    switch (effect.type) {
      case "roleChanged":
        this.#roleChanged(event, effect);
        return;
      case "dropped":
        this.#dropped(effect.message.from, effect.message.type, effect.reason);
        return;
      case "peerLostLog":
        this.#log("warn", "peer lost log entries it had acknowledged (wiped or restored disk?)", {
          peer: effect.peer,
          match: effect.match,
          logEnd: effect.logEnd,
        });
        return;
      case "snapshotWanted":
        this.#log("warn", "peer lost its snapshot's bytes; taking a snapshot to send it", {
          peer: effect.peer,
          atLeast: effect.index,
        });
        return;
      case "membershipChanged": {
        const { voters, outgoing, learners } = effect.membership;
        this.#log("info", "membership changed", {
          voters,
          learners,
          ...(outgoing === undefined ? {} : { outgoing }),
        });
        return;
      }
      default:
        return;
    }
  }

  #roleChanged(event: Event, effect: Extract<Effect, { type: "roleChanged" }>): void {
    const from = this.#role;
    const { role, term, leader } = effect;
    const fields = {
      from,
      to: role,
      term,
      leader,
      reason: roleChangeReason(event, from, this.#term, effect),
    };
    this.#role = role;
    this.#term = term;
    if (role === from) {
      this.#log("info", leader === null ? "leader unknown" : "leader known", fields);
    } else if (role === "preCandidate" || role === "candidate") {
      this.#log("info", role === "candidate" ? "election started" : "pre-vote started", fields);
    } else {
      this.#log("info", role === "leader" ? "became leader" : `became ${role}`, fields);
    }
    if (role === "leader") {
      // Silence is measured from now: a new leader has not had the chance to hear anyone.
      this.#lastHeard.clear();
      this.#unreachable.clear();
    }
  }

  #heard(peer: NodeId): void {
    const now = this.#options.now();
    const since = this.#lastHeard.get(peer);
    this.#lastHeard.set(peer, now);
    if (this.#unreachable.delete(peer)) {
      this.#log("info", "peer reachable again", {
        peer,
        silentMs: since === undefined ? undefined : Math.round(now - since),
      });
    }
  }

  #checkSilence(peers: readonly NodeId[]): void {
    const now = this.#options.now();
    for (const peer of peers) {
      const heard = this.#lastHeard.get(peer);
      if (heard === undefined) {
        this.#lastHeard.set(peer, now);
        continue;
      }
      if (now - heard > this.#options.silenceMs && !this.#unreachable.has(peer)) {
        this.#unreachable.add(peer);
        this.#log("warn", "peer unreachable: no reply for an election timeout", {
          peer,
          silentMs: Math.round(now - heard),
        });
      }
    }
  }

  /** The first bad message of a kind is logged at once; the rest are summed per period. */
  #dropped(from: NodeId, type: string, reason: string): void {
    const key =
      this.#drops.size < dropKindsMax || this.#drops.has(`${from} ${type}`)
        ? `${from} ${type}`
        : "(others) (any)";
    const tally = this.#drops.get(key);
    if (tally === undefined) {
      this.#drops.set(key, { count: 0, since: this.#options.now(), latestReason: reason });
      this.#log("warn", "dropped a bad message from a peer", { peer: from, type, reason });
      return;
    }
    tally.count += 1;
    tally.latestReason = reason;
  }

  #flushDrops(all: boolean): void {
    const now = this.#options.now();
    for (const [key, tally] of this.#drops) {
      if (!all && now - tally.since < dropReportEveryMs) continue;
      if (tally.count === 0) {
        this.#drops.delete(key);
        continue;
      }
      const [peer, type] = key.split(" ");
      const seconds = (now - tally.since) / 1000;
      this.#log("warn", "dropped bad messages from a peer", {
        peer,
        type,
        count: tally.count,
        perSecond: seconds > 0 ? Math.round((tally.count / seconds) * 10) / 10 : tally.count,
        latestReason: tally.latestReason,
      });
      this.#drops.set(key, { count: 0, since: now, latestReason: tally.latestReason });
    }
  }

  #log(level: LogLevel, message: string, fields: LogFields): void {
    try {
      this.#options.logger?.log(level, message, { node: this.#options.id, ...fields });
    } catch {
      // A failing logger is the application's problem; it must never stop the node.
    }
  }
}

/** Why the role, term or leader changed, in words, from the event that changed it. */
function roleChangeReason(
  event: Event,
  from: Role,
  termBefore: Term,
  { role, term }: { readonly role: Role; readonly term: Term },
): string {
  switch (event.type) {
    case "tick":
      if (from === "leader") return "lost contact with a quorum (CheckQuorum)";
      if (role === "preCandidate" || role === "candidate") {
        return "election timeout: no leader heard from";
      }
      return role === "leader" ? "election timeout: the sole voter wins at once" : "timer";
    case "campaign":
      return "campaign requested";
    case "receive": {
      const { type, from: sender } = event.message;
      if (term > termBefore) return `${type} from ${sender} carried higher term ${term}`;
      if (from === "preCandidate" && role === "candidate") return "won the pre-vote";
      if (role === "leader") return "won the election";
      return `${type} from ${sender}`;
    }
    default:
      return event.type;
  }
}
