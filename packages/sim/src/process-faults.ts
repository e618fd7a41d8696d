import type { NodeId, Role } from "@flotilla/core";
import type { Prng } from "@flotilla/transport-memory";
import type { FaultView } from "./fault-view.js";

// Faults of a server's process and clock, each one a real deployment meets and each inside what
// lease reads assume (thesis §6.4.1: bounded clock drift; `leaseSettings` in options.ts derives
// the drift bound from `clockSkew`), so that a stale lease read they produce is a bug, not the
// fault's: a process pause (the driver counts the time that passed when it wakes, tick-clock.ts),
// a clock running at the edge of the skew bound for a while, a leader paused or cut off right
// after it sends TimeoutNow, when its successor may be elected at once (§3.10), and a follower
// that crashes right after it forwards a read and comes back before the answer (read-index.ts,
// rule 7). Drawn from their own PRNG stream, so runs without them replay as before.

/** What a process fault does to a node. */
export interface ProcessTarget {
  readonly id: NodeId;
  readonly up: boolean;
  readonly role: Role;
  /** Virtual ms per tick of the node's clock as drawn (its skew). */
  readonly tickPeriodMs: number;
  pause(durationMs: number): void;
  setClockPeriod(periodMs: number): void;
}

/** What a crash and restart does to a node: a power loss, then a boot on what its disk holds. */
export interface RestartTarget {
  readonly up: boolean;
  crash(torn: Prng | null): void;
  forget(fromBackup: boolean): void;
  restart(): void;
}

/** What the process faults need from the simulator. */
export interface ProcessFaultHost extends FaultView<ProcessTarget> {
  /** Whether faults are still on (the liveness phase has not begun). */
  faultsOn(): boolean;
  /** Calls `callback` at `atMs` of virtual time. */
  scheduleAt(atMs: number, callback: () => void): void;
  /** A fault crashes `node` now, tearing unsynced writes as the options allow (from `prng`). */
  crashNode(node: RestartTarget, prng: Prng): void;
}

export class ProcessFaults {
  pauses = 0;
  clockFaults = 0;
  timeoutNowFaults = 0;
  forwardedReadCrashes = 0;
  readonly #host: ProcessFaultHost;
  readonly #prng: Prng;

  constructor(host: ProcessFaultHost, prng: Prng) {
    this.#host = host;
    this.#prng = prng;
  }

  /** One round per nominal tick (with the fault injector's): maybe pause, maybe a clock fault. */
  round(): void {
    const host = this.#host;
    const o = host.options;
    if (!host.faultsOn()) return;
    const prng = this.#prng;
    if (o.pauseProbability > 0) {
      for (const node of host.nodes) {
        if (node.up && prng.chance(o.pauseProbability)) this.#pause(node);
      }
    }
    if (o.clockFaultProbability > 0 && o.clockSkew > 0) {
      for (const node of host.nodes) {
        if (node.up && prng.chance(o.clockFaultProbability)) this.#clockFault(node);
      }
    }
  }

  /** `node` just sent TimeoutNow: it may be paused or cut off (it hears from nobody) now. */
  afterTimeoutNow(node: ProcessTarget): void {
    const host = this.#host;
    const o = host.options;
    const prng = this.#prng;
    if (!host.faultsOn() || o.timeoutNowFaultProbability === 0) return;
    if (!prng.chance(o.timeoutNowFaultProbability)) return;
    this.timeoutNowFaults++;
    const electionTimeoutMs = o.electionTimeoutTicks * o.tickMs;
    if (prng.chance(0.5)) {
      // Up to an election timeout: a leader that wakes within its lease is the case to catch.
      this.pauses++;
      node.pause(prng.intBetween(o.tickMs, electionTimeoutMs));
      return;
    }
    const durationMs = prng.intBetween(o.tickMs, 3 * electionTimeoutMs);
    // Its TimeoutNow is on the wire already: only what comes to it is cut.
    const cut = host.ids.filter((id) => id !== node.id && !host.network.isLinkCut(id, node.id));
    for (const from of cut) host.network.cutLink(from, node.id);
    host.trace.fault(host.nowMs, `cut every link to n${node.id} for ${durationMs} ms`);
    host.scheduleAt(host.nowMs + durationMs, () => {
      if (!host.faultsOn()) return; // the heal restored every link
      for (const from of cut) host.network.restoreLink(from, node.id);
      host.trace.fault(host.nowMs, `links to n${node.id} restored`);
    });
  }

  /**
   * `node`, a follower, just forwarded a read to its leader: it may crash within a latency and
   * restart within another, while the leader's answer is still on its way. Its next life forwards reads of its own meanwhile, which that answer must not serve: it
   * carries a read index chosen before they were asked (read-index.ts, rule 7).
   */
  afterForwardedRead(node: RestartTarget): void {
    const host = this.#host;
    const o = host.options;
    const prng = this.#prng;
    if (!host.faultsOn() || o.forwardedReadCrashProbability === 0) return;
    if (!prng.chance(o.forwardedReadCrashProbability)) return;
    this.forwardedReadCrashes++;
    // Within a latency each: the answer is a round trip and a quorum round away, and the next
    // life must be up and forwarding reads of its own when it arrives.
    const upMs = prng.intBetween(0, o.latencyMaxMs);
    const downMs = prng.intBetween(0, o.latencyMaxMs);
    host.scheduleAt(host.nowMs + upMs, () => {
      if (!host.faultsOn() || !node.up) return;
      host.crashNode(node, prng);
      host.scheduleAt(host.nowMs + downMs, () => {
        if (!node.up) node.restart();
      });
    });
  }

  #pause(node: ProcessTarget): void {
    const o = this.#host.options;
    this.pauses++;
    node.pause(this.#prng.intBetween(o.tickMs, Math.max(o.tickMs, o.pauseMaxMs)));
  }

  /**
   * The node's clock runs at an edge of [1 - skew, 1 + skew] for up to three election timeouts.
   * Biased (three times in four) towards the case the lease's drift bound is for: a leader's clock
   * slow, so its lease lasts long, and a follower's fast, so its election timeout ends early.
   */
  #clockFault(node: ProcessTarget): void {
    const host = this.#host;
    const o = host.options;
    const prng = this.#prng;
    this.clockFaults++;
    const slow = prng.chance(0.75) === (node.role === "leader");
    // Rounded inwards, so the period stays inside the bound the lease's drift ticks cover.
    const periodMs = slow
      ? Math.floor(o.tickMs * (1 + o.clockSkew))
      : Math.max(1, Math.ceil(o.tickMs * (1 - o.clockSkew)));
    const durationMs = prng.intBetween(o.tickMs, 3 * o.electionTimeoutTicks * o.tickMs);
    node.setClockPeriod(periodMs);
    const how = slow ? "slow" : "fast";
    host.trace.fault(host.nowMs, `n${node.id}'s clock runs ${how} (${periodMs} ms a tick)`);
    host.scheduleAt(host.nowMs + durationMs, () => node.setClockPeriod(node.tickPeriodMs));
  }
}
