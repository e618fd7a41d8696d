import type { Message, MessageType, NodeId } from "@flotilla/core";
import { NetworkMisuseError } from "./errors.js";
import { ScheduleHeap } from "./heap.js";
import { sampleLatencyMs } from "./latency.js";
import { type LinkOptions, linkDefaults, resolveLinkOptions } from "./link-options.js";
import { MemoryTransport } from "./memory-transport.js";
import { type DropReason, emptyDropCounts, type NetworkStats } from "./network-stats.js";
import type {
  ClockHooks,
  Delivery,
  MessageCodec,
  NetworkEvent,
  NetworkOptions,
} from "./network-types.js";
import { Prng } from "./prng.js";
import { type MessageFilter, Topology } from "./topology.js";

// Theory of operation. The network is a priority queue of in-flight messages ordered by
// (delivery time, send sequence), over VIRTUAL time in whole milliseconds (`nowMs`). Nothing in
// here reads a clock or sets a timer: whoever drives the network (the cluster simulator, a test
// calling `run`, or the real-time adapter) decides when time moves. Every random choice (latency,
// loss, duplication, reordering) comes from one seeded `Prng`, drawn in a fixed order per send, so
// the same seed and the same calls give the same deliveries, bit for bit.
//
// Faults are checked twice: when a message is sent (loss, cuts, filters, a crashed sender) and
// when it arrives (a cut or filter added meanwhile, a crashed receiver), as on a real wire where
// packets already in flight die with the link.

type InFlight = {
  readonly timeMs: number;
  readonly seq: number;
  readonly from: NodeId;
  readonly to: NodeId;
  readonly type: MessageType;
  readonly message: Message | Uint8Array;
  readonly sentAtMs: number;
};

/**
 * A simulated network in virtual time: seeded latency, loss, duplication and reordering per
 * directed link, partitions, crashes and filters. It delivers only when told (`run`, `deliverNext`)
 * or when driven by `startRealTime`; one seed replays a run exactly.
 */
export class Network {
  readonly #prng: Prng;
  readonly #codec: MessageCodec | undefined;
  readonly #observer: ((event: NetworkEvent) => void) | undefined;
  readonly #topology = new Topology();
  readonly #heap = new ScheduleHeap<InFlight>();
  readonly #links = new Map<string, LinkOptions>();
  readonly #transports = new Map<NodeId, MemoryTransport>();
  readonly #closed = new Set<NodeId>();
  readonly #dropped = emptyDropCounts();
  #defaults: LinkOptions;
  #nowMs = 0;
  #seq = 0;
  #sent = 0;
  #delivered = 0;
  #duplicated = 0;
  #clock: ClockHooks | undefined;

  constructor(options: NetworkOptions) {
    this.#prng = typeof options.random === "number" ? new Prng(options.random) : options.random;
    this.#defaults = resolveLinkOptions(linkDefaults, options.link);
    this.#codec = options.codec;
    this.#observer = options.observer;
  }

  /** Virtual time in whole milliseconds; starts at 0 and never goes back. */
  get nowMs(): number {
    return this.#nowMs;
  }

  get linkDefaults(): LinkOptions {
    return this.#defaults;
  }

  /** Changes the defaults for every link without a per-link override. */
  configureDefaults(options: Partial<LinkOptions>): void {
    this.#defaults = resolveLinkOptions(this.#defaults, options);
  }

  /** Overrides the behaviour of the directed link from -> to (merged over the defaults). */
  configureLink(from: NodeId, to: NodeId, options: Partial<LinkOptions>): void {
    const key = linkKey(from, to);
    this.#links.set(key, resolveLinkOptions(this.#links.get(key) ?? this.#defaults, options));
  }

  /** Forgets every per-link override. */
  resetLinks(): void {
    this.#links.clear();
  }

  /** The options in force on the directed link `from` -> `to`. */
  linkOptions(from: NodeId, to: NodeId): LinkOptions {
    return this.#links.size === 0
      ? this.#defaults
      : (this.#links.get(linkKey(from, to)) ?? this.#defaults);
  }

  // --- faults ------------------------------------------------------------------------------

  /** Cuts one direction only: from -> to is dropped while to -> from still flows. */
  cutLink(from: NodeId, to: NodeId): void {
    this.#topology.cut(from, to);
  }

  /** Undoes `cutLink` for the directed link `from` -> `to`. */
  restoreLink(from: NodeId, to: NodeId): void {
    this.#topology.restore(from, to);
  }

  /** Whether the directed link `from` -> `to` is cut. */
  isLinkCut(from: NodeId, to: NodeId): boolean {
    return this.#topology.isCut(from, to);
  }

  /** Cuts every link to and from `node` among `others`. */
  isolate(node: NodeId, others: readonly NodeId[]): void {
    for (const other of others) {
      if (other !== node) {
        this.#topology.cut(node, other);
        this.#topology.cut(other, node);
      }
    }
  }

  /**
   * Cuts both directions between any two listed nodes that share no group. Groups may overlap:
   * `partition([[a, b, c], [c, d, e]])` is a bridge, with c reaching both halves. Cuts add up;
   * `heal()` removes them all.
   */
  partition(groups: readonly (readonly NodeId[])[]): void {
    this.#topology.partition(groups);
  }

  /** Restores every cut link. Filters, crashes and link options are left alone. */
  heal(): void {
    this.#topology.healLinks();
  }

  /** Drops every message matching the filter until the returned function is called. */
  addFilter(filter: MessageFilter): () => void {
    return this.#topology.addFilter(filter);
  }

  /** Removes every filter added with `addFilter`. */
  clearFilters(): void {
    this.#topology.clearFilters();
  }

  /** A crashed node sends nothing and receives nothing (messages reaching it are dropped). */
  crash(node: NodeId): void {
    this.#topology.crash(node);
  }

  /**
   * Brings a crashed node back: it sends and receives again (what it lost in flight stays lost).
   */
  restart(node: NodeId): void {
    this.#topology.restart(node);
  }

  /** Whether `node` is up (not crashed). */
  isUp(node: NodeId): boolean {
    return this.#topology.isUp(node);
  }

  // --- sending -----------------------------------------------------------------------------

  /** Puts a message on the wire. `message.from`/`to` must match (local misuse throws). */
  send(from: NodeId, to: NodeId, message: Message): void {
    if (message.from !== from || message.to !== to) {
      throw new NetworkMisuseError(
        `send(${from} -> ${to}) of a ${message.type} addressed ${message.from} -> ${message.to}`,
      );
    }
    if (this.#clock !== undefined) this.#catchUp(this.#clock.nowMs());
    this.#sent++;
    const seq = this.#seq++;
    const reason = this.#sendFault(from, to, message.type);
    if (reason !== undefined) {
      this.#drop(reason, this.#nowMs, seq, from, to, message.type);
      return;
    }
    const link = this.linkOptions(from, to);
    const payload = this.#codec === undefined ? message : this.#codec.encode(message);
    this.#schedule(link, seq, from, to, message.type, payload, "sent");
    if (this.#prng.chance(link.duplicateProbability)) {
      this.#duplicated++;
      this.#schedule(link, this.#seq++, from, to, message.type, payload, "duplicated");
    }
  }

  #sendFault(from: NodeId, to: NodeId, type: MessageType): DropReason | undefined {
    if (this.#closed.size > 0 && this.#closed.has(from)) return "closed";
    if (!this.#topology.isUp(from)) return "nodeDown";
    if (this.#topology.isCut(from, to)) return "partition";
    if (this.#topology.isFiltered(from, to, type)) return "filter";
    if (this.#prng.chance(this.linkOptions(from, to).lossProbability)) return "loss";
    return undefined;
  }

  #schedule(
    link: LinkOptions,
    seq: number,
    from: NodeId,
    to: NodeId,
    type: MessageType,
    message: Message | Uint8Array,
    kind: "sent" | "duplicated",
  ): void {
    let delayMs = sampleLatencyMs(link.latency, this.#prng);
    if (this.#prng.chance(link.reorderProbability)) {
      delayMs += 1 + this.#prng.int(link.reorderDelayMaxMs);
    }
    const timeMs = this.#nowMs + delayMs;
    this.#heap.push({ timeMs, seq, from, to, type, message, sentAtMs: this.#nowMs });
    this.#observer?.({
      kind,
      timeMs: this.#nowMs,
      seq,
      from,
      to,
      messageType: type,
      deliverAtMs: timeMs,
    });
    this.#clock?.scheduled(timeMs);
  }

  #drop(
    reason: DropReason,
    timeMs: number,
    seq: number,
    from: NodeId,
    to: NodeId,
    type: MessageType,
  ): void {
    this.#dropped[reason]++;
    this.#observer?.({ kind: "dropped", timeMs, seq, from, to, messageType: type, reason });
  }

  // --- time and delivery -------------------------------------------------------------------

  /** When the earliest in-flight message is due (it may still be dropped on arrival). */
  nextDeliveryTimeMs(): number | undefined {
    return this.#heap.peek()?.timeMs;
  }

  get inFlight(): number {
    return this.#heap.size;
  }

  /**
   * Takes the earliest message due at or before `untilMs`, moving `nowMs` up to its time, and
   * returns it; messages dropped on arrival are counted and skipped. Undefined when nothing more
   * is due by `untilMs` (then `nowMs` is unchanged: call `advanceTo`).
   */
  deliverNext(untilMs = Number.POSITIVE_INFINITY): Delivery | undefined {
    return this.#next(untilMs, false);
  }

  #next(untilMs: number, toTransports: boolean): Delivery | undefined {
    for (;;) {
      const next = this.#heap.peek();
      if (next === undefined || next.timeMs > untilMs) return undefined;
      this.#heap.pop();
      if (next.timeMs > this.#nowMs) this.#nowMs = next.timeMs;
      const delivery = this.#arrive(next, toTransports);
      if (delivery !== undefined) return delivery;
    }
  }

  #arrivalFault(item: InFlight, toTransports: boolean): DropReason | undefined {
    const { from, to, type } = item;
    if (!this.#topology.isUp(to)) return "nodeDown";
    if (this.#topology.isCut(from, to)) return "partition";
    if (this.#topology.isFiltered(from, to, type)) return "filter";
    if (toTransports && !this.#transports.get(to)?.listening) return "noReceiver";
    return undefined;
  }

  #arrive(item: InFlight, toTransports: boolean): Delivery | undefined {
    const { from, to, seq, type } = item;
    const reason = this.#arrivalFault(item, toTransports);
    if (reason !== undefined) {
      this.#drop(reason, this.#nowMs, seq, from, to, type);
      return undefined;
    }
    let message: Message;
    if (item.message instanceof Uint8Array) {
      try {
        message = (this.#codec as MessageCodec).decode(item.message);
      } catch {
        this.#drop("undecodable", this.#nowMs, seq, from, to, type);
        return undefined;
      }
    } else {
      message = item.message;
    }
    this.#delivered++;
    this.#observer?.({ kind: "delivered", timeMs: this.#nowMs, seq, from, to, messageType: type });
    return { from, to, message, sentAtMs: item.sentAtMs, deliveredAtMs: this.#nowMs, seq };
  }

  /** Moves virtual time forward. Messages already due stay queued (delivered late, in order). */
  advanceTo(timeMs: number): void {
    if (!Number.isSafeInteger(timeMs) || timeMs < this.#nowMs) {
      throw new NetworkMisuseError(
        `advanceTo(${timeMs}): time is at ${this.#nowMs} and cannot go back`,
      );
    }
    this.#nowMs = timeMs;
  }

  #catchUp(timeMs: number): void {
    if (timeMs > this.#nowMs) this.#nowMs = Math.floor(timeMs);
  }

  // --- transports ----------------------------------------------------------------------------

  /** A `Transport` for `node`; its handlers receive messages while the network is driven. */
  transport(node: NodeId): MemoryTransport {
    if (this.#transports.has(node)) {
      throw new NetworkMisuseError(`a transport for ${node} is already open`);
    }
    this.#closed.delete(node);
    const transport = new MemoryTransport(node, {
      send: (from, to, message) => this.send(from, to, message),
      detach: (detached) => {
        this.#transports.delete(detached);
        this.#closed.add(detached);
      },
    });
    this.#transports.set(node, transport);
    return transport;
  }

  /** Delivers every message due by `untilMs` to the open transports, then advances to it. */
  run(untilMs: number): number {
    // Checked before delivering anything: a bad time found only by advanceTo at the end would
    // throw after the deliveries had already happened.
    if (!Number.isSafeInteger(untilMs) && untilMs !== Number.POSITIVE_INFINITY) {
      throw new NetworkMisuseError(`run(${untilMs}): time is whole virtual milliseconds`);
    }
    let count = 0;
    for (let d = this.#next(untilMs, true); d !== undefined; d = this.#next(untilMs, true)) {
      // #arrivalFault checked that the receiver's transport is open and listening.
      (this.#transports.get(d.to) as MemoryTransport).deliver(d.message);
      count++;
    }
    if (Number.isFinite(untilMs) && untilMs > this.#nowMs) this.advanceTo(untilMs);
    return count;
  }

  /** `run` until `durationMs` virtual milliseconds from now; returns the deliveries made. */
  runFor(durationMs: number): number {
    return this.run(this.#nowMs + durationMs);
  }

  /** Runs until nothing is in flight, or until `limitMs` from now; returns the deliveries made. */
  runUntilIdle(limitMs = Number.POSITIVE_INFINITY): number {
    const untilMs = this.#nowMs + limitMs;
    let count = 0;
    while (this.#heap.size > 0 && (this.nextDeliveryTimeMs() as number) <= untilMs) {
      count += this.run(this.nextDeliveryTimeMs() as number);
    }
    return count;
  }

  /** For the real-time adapter: see `startRealTime`. */
  attachClock(hooks: ClockHooks | undefined): void {
    if (hooks !== undefined && this.#clock !== undefined) {
      throw new NetworkMisuseError("the network is already driven by a real-time clock");
    }
    this.#clock = hooks;
  }

  /** Counters since creation: sent, delivered, duplicated, dropped by reason, in flight. */
  stats(): NetworkStats {
    return {
      sent: this.#sent,
      delivered: this.#delivered,
      duplicated: this.#duplicated,
      dropped: { ...this.#dropped },
      inFlight: this.#heap.size,
    };
  }
}

function linkKey(from: NodeId, to: NodeId): string {
  return `${from}\u0000${to}`;
}
