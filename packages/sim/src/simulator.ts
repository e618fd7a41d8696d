import {
  type Effect,
  type Event,
  type Message,
  type NodeId,
  nodeId,
  type RaftState,
  type Scheduler,
} from "@flotilla/core";
import { Network, Prng, ScheduleHeap } from "@flotilla/transport-memory";
import { type FaultHost, FaultInjector } from "./fault-injector.js";
import { type AsyncWork, FileDiskStorage } from "./file-disk-storage.js";
import { checkHistory } from "./history-check.js";
import { KvCheckpoints } from "./kv-checkpoints.js";
import type { ClientEventKind } from "./kv-client-host.js";
import { KvClients } from "./kv-clients.js";
import { leaseSettings, type SimulationOptions } from "./options.js";
import { phaseLinkOptions } from "./phase-links.js";
import { flotillaCore, type RaftCore } from "./raft-core.js";
import { SafetyChecker } from "./safety-checker.js";
import { type NodeHost, SimNode } from "./sim-node.js";
import { MemoryDiskStorage } from "./sim-storage.js";
import type { RunOptions, SimulationOutcome, SimulationResult } from "./simulation-types.js";
import { SpinChecker } from "./spin-checker.js";
import { Trace } from "./trace.js";
import { TransferChecker } from "./transfer-checker.js";

// Theory of operation. One seed drives the whole run. Virtual time is whole milliseconds, shared
// with the network. Two queues hold the future: the network's (messages in flight) and ours
// (node ticks, disk completions, client events, fault rounds); the loop takes whichever is due
// first (the network on ties), moves time to it and handles it, one "step" each. Nothing reads
// a clock or Math.random, and every random choice comes from a PRNG stream forked per component
// ("network", "faults", "clients", "node/<id>", "disk/<id>"), so a run replays bit for bit and
// adding a draw to one component never shifts another's.
//
// Phase 1 (safety): `steps` steps with every fault the options allow. Phase 2 (liveness): the
// network heals (no cuts, loss, duplication or tail latency), every crashed node restarts, and
// within `livenessBudgetTicks` a leader must be elected and every client must complete
// `livenessOperationsPerClient` operations invoked after the heal. The checkers observe every
// step of both phases; the client history must be linearizable at the end.

export type {
  RunOptions,
  ScheduledFault,
  SimulationOutcome,
  SimulationResult,
} from "./simulation-types.js";

const TICK = 0;
const CALLBACK = 1;
const CLIENT = 2;
const FAULTS = 3;
const SCRIPTED = 4;

type Scheduled = {
  readonly timeMs: number;
  readonly seq: number;
  readonly kind: number;
  /** A node or client number. */
  readonly target: number;
  /** An incarnation or client token: stale events are recognised by it. */
  readonly token: number;
  readonly clientEvent: ClientEventKind | null;
  /** What a CALLBACK event runs (a disk completion). */
  readonly callback: (() => void) | null;
};

/**
 * Runs one whole simulated cluster from `options` (derived from a seed) deterministically: faults,
 * then the heal, then the checks. The same options always give the same result.
 */
export function runSimulation<S = RaftState>(
  options: SimulationOptions,
  run: RunOptions<S> = {},
): Promise<SimulationResult> {
  return new Simulation<S>(options, run).run();
}

class Simulation<S> implements NodeHost {
  readonly options: SimulationOptions;
  readonly network: Network;
  readonly checker: SafetyChecker;
  readonly spin: SpinChecker;
  readonly transferChecker: TransferChecker;
  readonly trace: Trace;
  readonly clients: KvClients;
  readonly checkpoints = new KvCheckpoints(16);
  readonly nodes: SimNode<S>[];
  readonly ids: readonly NodeId[];
  readonly #queue = new ScheduleHeap<Scheduled>();
  readonly #faults: FaultInjector;
  #seq = 0;
  /** Async storage chains running in microtasks (file-disk-storage.ts); 0 between events. */
  #asyncInFlight = 0;
  #asyncFailure: { readonly error: unknown } | null = null;
  readonly #asyncWork: AsyncWork = {
    started: () => {
      this.#asyncInFlight++;
    },
    ended: () => {
      this.#asyncInFlight--;
    },
    failed: (error) => {
      this.#asyncFailure ??= { error };
    },
  };
  #steps = 0;
  coreSteps = 0;
  /** peerLostLog reports: a leader found a follower without entries it had acknowledged. */
  lostLogReports = 0;
  slowWrites = 0;
  /** Storage faults (slow writes; full disks and failed fsyncs are set on the disks) are on. */
  #storageFaults = true;

  constructor(options: SimulationOptions, run: RunOptions<S>) {
    this.options = options;
    const root = new Prng(options.seed);
    this.ids = Array.from({ length: options.nodeCount }, (_, i) => nodeId(String(i + 1)));
    this.network = new Network({
      random: root.fork("network"),
      link: phaseLinkOptions(options, true),
    });
    this.checker = new SafetyChecker(this.ids);
    this.spin = new SpinChecker(options, this.ids);
    this.trace = new Trace(run.traceCapacity ?? 40, run.traceListener);
    this.transferChecker = new TransferChecker(this.checker);
    this.#faults = new FaultInjector(
      this.#faultHost(),
      root.fork("faults"),
      run.faults,
      root.fork("transfers"),
    );
    const core = (run.core ?? flotillaCore) as RaftCore<S>;
    this.nodes = this.ids.map(
      (id, i) =>
        new SimNode<S>(this, core, run.rules, id, i, root, () => {
          const diskPrng = root.fork(`disk/${id}`);
          const electionTimeoutMs = options.electionTimeoutTicks * options.tickMs;
          // A slow write (safety phase only) outlasts one to three election timeouts; no draw
          // when the scenario has none, so other runs replay as before.
          const latency = () =>
            diskPrng.intBetween(options.diskLatencyMinMs, options.diskLatencyMaxMs) +
            (options.slowWriteProbability > 0 &&
            this.#storageFaults &&
            diskPrng.chance(options.slowWriteProbability)
              ? this.#slowWrite(electionTimeoutMs * diskPrng.intBetween(1, 3))
              : 0);
          const nowMs = () => this.nowMs;
          const scheduleAt = (atMs: number, callback: () => void) =>
            this.schedule(atMs, CALLBACK, i, 0, null, callback);
          return options.disk === "memory"
            ? new MemoryDiskStorage(latency, nowMs, scheduleAt)
            : new FileDiskStorage(
                diskPrng,
                latency,
                nowMs,
                scheduleAt,
                this.#asyncWork,
                options.fsyncFailureProbability,
                run.fileSystem,
              );
        }),
    );
    this.clients = new KvClients(
      {
        nodeCount: options.nodeCount,
        nowMs: () => this.network.nowMs,
        schedule: (atMs, kind, client, token) => this.schedule(atMs, CLIENT, client, token, kind),
        isUp: (node) => this.nodes[node]?.up ?? false,
        propose: (node, id, data) => this.nodes[node]?.propose(id, data),
        read: (node, id, key, consistency) => this.nodes[node]?.read(id, key, consistency),
        trace: (detail) => this.trace.client(this.network.nowMs, detail),
      },
      {
        clientCount: options.clientCount,
        keyCount: options.keyCount,
        thinkMeanMs: options.clientThinkMeanMs,
        latencyMinMs: options.latencyMinMs,
        latencyMaxMs: options.latencyMaxMs,
        operationTimeoutMs: options.operationTimeoutMs,
        retryBackoffMs: options.tickMs,
        readShare: options.readShare,
        leaseReads: leaseSettings(options) !== null,
      },
      root.fork("clients"),
    );
  }

  get nowMs(): number {
    return this.network.nowMs;
  }

  /**
   * The driver's clock for the nodes' ProposalRegistry and Notifier: timers are events in virtual
   * time, and a microtask is tracked like the storage's async work, so the loop drains it (and
   * every promise reaction queued before it) before the next event. A timer's callback may settle
   * proposals: a tracked microtask after it drains their reactions too.
   */
  readonly scheduler: Scheduler = {
    setTimeout: (callback, delayMs) => {
      const timer = { cancelled: false };
      this.schedule(this.nowMs + Math.max(0, Math.floor(delayMs)), CALLBACK, 0, 0, null, () => {
        if (timer.cancelled) return;
        callback();
        this.scheduler.queueMicrotask(() => {});
      });
      return timer;
    },
    clearTimeout: (handle) => {
      (handle as { cancelled: boolean }).cancelled = true;
    },
    queueMicrotask: (callback) => {
      const work = this.#asyncWork;
      work.started();
      void Promise.resolve().then(() => {
        try {
          callback();
        } catch (error) {
          work.failed(error);
        } finally {
          work.ended();
        }
      });
    },
  };

  fail(error: unknown): void {
    this.#asyncWork.failed(error);
  }

  #slowWrite(extraMs: number): number {
    this.slowWrites++;
    return extraMs;
  }

  schedule(
    atMs: number,
    kind: number,
    target: number,
    token: number,
    clientEvent: ClientEventKind | null = null,
    callback: (() => void) | null = null,
  ): void {
    this.#queue.push({
      timeMs: atMs,
      seq: this.#seq++,
      kind,
      target,
      token,
      clientEvent,
      callback,
    });
  }

  nodeIndex(id: NodeId | null): number | null {
    if (id === null) return null;
    const index = this.ids.indexOf(id);
    return index < 0 ? null : index;
  }

  async run(): Promise<SimulationResult> {
    let outcome: SimulationOutcome = "ok";
    let error: unknown = null;
    let livenessFailure: string | null = null;
    let unknown = false;
    try {
      for (const node of this.nodes) node.start();
      await this.#settle();
      this.clients.start();
      this.#faults.start();
      await this.#loop(() => this.#steps >= this.options.steps);
      if (this.checker.violation === null) livenessFailure = await this.#liveness();
      if (this.checker.violation === null && livenessFailure === null)
        unknown = this.#finalChecks();
      if (this.checker.violation !== null) outcome = "correctness";
      else if (livenessFailure !== null) outcome = "liveness";
    } catch (thrown) {
      // A violation seen before the throw is the first failure (storage refusing what a broken
      // core asked for, say): it is what the run reports.
      outcome = this.checker.violation === null ? "crash" : "correctness";
      error = thrown;
    }
    return this.#result(outcome, error, livenessFailure, unknown);
  }

  /**
   * Lets the storage's async work run until every chain waits in virtual time again (or ended).
   * A microtask hop at a time: each `await` lets the microtasks queued before it run first.
   */
  async #settle(): Promise<void> {
    for (let hops = 0; this.#asyncInFlight > 0; hops++) {
      if (hops > 1_000_000) throw new RangeError("storage work that never waits in virtual time");
      await null;
    }
    if (this.#asyncFailure !== null) throw this.#asyncFailure.error;
  }

  /** Handles events until `done()` or a violation. */
  async #loop(done: () => boolean): Promise<void> {
    const network = this.network;
    const queue = this.#queue;
    while (this.checker.violation === null && !done()) {
      const ours = queue.peek();
      const theirs = network.nextDeliveryTimeMs();
      if (ours === undefined && theirs === undefined) return;
      if (theirs !== undefined && (ours === undefined || theirs <= ours.timeMs)) {
        const delivery = network.deliverNext(theirs);
        if (delivery === undefined) continue; // dropped on arrival: not an event for anyone
        this.#steps++;
        const node = this.nodes[this.nodeIndex(delivery.to) ?? -1];
        node?.deliver({ type: "receive", message: delivery.message });
      } else {
        queue.pop();
        const event = ours as Scheduled;
        if (event.timeMs > network.nowMs) network.advanceTo(event.timeMs);
        this.#steps++;
        this.#handle(event);
      }
      if (this.#asyncInFlight > 0 || this.#asyncFailure !== null) await this.#settle();
    }
  }

  #handle(event: Scheduled): void {
    switch (event.kind) {
      case TICK:
        this.nodes[event.target]?.tick(event.token);
        return;
      case CALLBACK:
        (event.callback as () => void)();
        return;
      case CLIENT:
        this.clients.on(event.clientEvent as ClientEventKind, event.target, event.token);
        return;
      case FAULTS:
        this.#faults.round();
        return;
      case SCRIPTED:
        this.#faults.scripted(event.target);
        return;
      default:
        throw new RangeError(`unknown scheduled event kind ${event.kind}`);
    }
  }

  /** The fault injector's view of this simulation. */
  #faultHost(): FaultHost {
    const simulation = this;
    return {
      options: this.options,
      network: this.network,
      trace: this.trace,
      ids: this.ids,
      get nodes() {
        return simulation.nodes;
      },
      get nowMs() {
        return simulation.nowMs;
      },
      leader: () => this.#leader(),
      scheduleRound: (atMs) => this.schedule(atMs, FAULTS, 0, 0),
      scheduleScripted: (atMs, i) => this.schedule(atMs, SCRIPTED, i, 0),
    };
  }

  async #liveness(): Promise<string | null> {
    this.#faults.stop();
    this.network.heal();
    this.network.configureDefaults(phaseLinkOptions(this.options, false));
    this.trace.fault(this.nowMs, "liveness phase: heal the network, restart every node");
    this.#storageFaults = false;
    for (const node of this.nodes) node.storage.endFaults();
    for (const node of this.nodes) if (!node.up) node.restart();
    await this.#settle();
    this.clients.healed(this.options.livenessOperationsPerClient);
    const deadlineMs = this.nowMs + this.options.livenessBudgetTicks * this.options.tickMs;
    // Virtual time bounds the phase unless events pile up at one instant (a message storm at
    // zero latency): a step cap, far above any healthy run, turns that into a failure too.
    const stepCap = this.#steps + 1000 * this.options.livenessBudgetTicks * this.options.nodeCount;
    await this.#loop(
      () =>
        this.nowMs > deadlineMs ||
        this.#steps > stepCap ||
        this.clients.livenessFailure !== null ||
        (this.clients.livenessDone && this.#laggard() === null),
    );
    if (this.checker.violation !== null) return null;
    if (this.clients.livenessFailure !== null) return this.clients.livenessFailure;
    if (this.#steps > stepCap)
      return `event storm: over ${stepCap} steps without reaching the deadline`;
    if (this.#leader() === null) {
      return `no leader within ${this.options.livenessBudgetTicks} ticks of the heal`;
    }
    if (!this.clients.livenessDone) {
      return `clients did not complete their operations within ${this.options.livenessBudgetTicks} ticks of the heal: ${this.clients.describeProgress()}`;
    }
    const laggard = this.#laggard();
    if (laggard !== null) {
      return `${laggard} within ${this.options.livenessBudgetTicks} ticks of the heal`;
    }
    return null;
  }

  /**
   * After the heal every node that lost its data must catch up: the one that has not applied what
   * the leader applied (left behind for ever: its lost log never repaired), described, or null
   * when all have (a leader is needed for that) or a violation amnesia caused excused it. Only
   * those nodes: a healthy follower may still be catching up by a snapshot sent in one-byte
   * chunks over a slow link when the clients are done (seed 377), which is no failure.
   */
  #laggard(): string | null {
    const leader = this.#leader();
    if (leader === null) return "no leader";
    // Amnesia that already broke safety (two leaders in a term, a leader without committed
    // entries) can leave logs Raft cannot reconcile: then serving clients is what is demanded.
    if (this.checker.excused !== null) return null;
    for (const node of this.nodes) {
      if (node.hadAmnesia && node.applied < leader.applied) {
        return `n${node.id} did not catch up (applied ${node.applied}, the leader n${leader.id} ${leader.applied})`;
      }
    }
    return null;
  }

  /** The node leading the highest term any running node is in, if one does. */
  #leader(): SimNode<S> | null {
    let maxTerm = -1;
    for (const node of this.nodes) if (node.up && node.term > maxTerm) maxTerm = node.term;
    for (const node of this.nodes) {
      if (node.up && node.role === "leader" && node.term === maxTerm) return node;
    }
    return null;
  }

  /** Returns whether the linearizability search gave up (unknown). */
  #finalChecks(): boolean {
    const leader = this.#leader();
    if (leader !== null) this.checker.checkAcknowledgedIn(leader.index);
    if (this.checker.violation !== null || this.checker.excused !== null) return false;
    return checkHistory(this.checker, this.clients.history);
  }

  #result(
    outcome: SimulationOutcome,
    error: unknown,
    livenessFailure: string | null,
    unknown: boolean,
  ): SimulationResult {
    const history = this.clients.history;
    return {
      options: this.options,
      outcome,
      violation: this.checker.violation,
      excused: this.checker.excused,
      livenessFailure: outcome === "liveness" ? livenessFailure : null,
      error,
      steps: this.#steps,
      coreSteps: this.coreSteps,
      simulatedMs: this.nowMs,
      fingerprint: this.trace.fingerprint,
      recentTrace: this.trace.recent(),
      history,
      linearizabilityUnknown: unknown,
      counts: {
        crashes: this.#faults.crashes,
        partitions: this.#faults.partitions,
        transfers: this.#faults.transfers,
        leadersElected: this.checker.leadersElected,
        maxTerm: Math.max(...this.nodes.map((n) => n.term)),
        committed: this.checker.commitIndex,
        acknowledged: history.filter((op) => op.outcome === "ok").length,
        indeterminate: history.filter((op) => op.outcome === "indeterminate").length,
        kvCheckpointsCompared: this.checkpoints.comparisons,
        amnesias: this.#faults.amnesias,
        slowWrites: this.slowWrites,
        disksFilled: this.#faults.disksFilled,
        storageFailures: this.nodes.reduce((sum, node) => sum + node.storageFailures, 0),
        lostLogReports: this.lostLogReports,
        spinProbesPerSecondMax: this.spin.maxPerSecond,
        readsServed: { ...this.clients.readsServed },
      },
      peakMessagesPerSecond: this.spin.peakMessagesPerSecond.slice(),
      network: this.network.stats(),
    };
  }

  /** Called by nodes after every step of their core: checkers first, then the fingerprint. */
  stepped(
    node: { readonly id: NodeId; readonly index: number },
    event: Event,
    effects: readonly Effect[],
    messages: readonly Message[],
  ): void {
    this.coreSteps++;
    this.trace.step(this.nowMs, node.id, node.index, event);
    this.checker.observe(node.index, effects);
    const spin = this.spin.stepped(node.id, event, messages, this.nowMs);
    if (spin !== null) this.checker.report("spin", node.index, spin);
    for (const effect of effects) {
      if (effect.type !== "peerLostLog") continue;
      // The loud report the issue asks for: who lost what, as createNode's peerLostLog event says.
      this.lostLogReports++;
      this.trace.report(
        this.nowMs,
        `n${node.id} (leader) found n${effect.peer} without entries it acknowledged: acknowledged up to ${effect.match}, its log ends at ${effect.logEnd}`,
      );
    }
    this.transferChecker.observe(node.index, event, messages, effects);
    this.trace.effects(effects);
  }

  scheduleTick(node: number, atMs: number, incarnation: number): void {
    this.schedule(atMs, TICK, node, incarnation);
  }
}
