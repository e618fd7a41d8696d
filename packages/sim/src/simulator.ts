import {
  type Effect,
  type Event,
  type Message,
  type NodeId,
  nodeId,
  type RaftState,
  type Scheduler,
} from "@flotilla/core";
import { membershipOf } from "@flotilla/core/storage";
import { Network, Prng } from "@flotilla/transport-memory";
import { AsyncWorkTracker, virtualScheduler } from "./async-work.js";
import { laggardOf, leaderOf, whoLeads } from "./cluster-view.js";
import { EventLoop } from "./event-loop.js";
import { EventKind } from "./event-queue.js";
import { type FaultHost, FaultInjector } from "./fault-injector.js";
import type { AsyncWork } from "./file-disk-storage.js";
import { checkHistory } from "./history-check.js";
import { KvCheckpoints } from "./kv-checkpoints.js";
import type { ClientHost } from "./kv-client-host.js";
import { KvClients } from "./kv-clients.js";
import { livenessVerdict } from "./liveness-verdict.js";
import { MembershipChecker } from "./membership-checker.js";
import { type MembershipTally, MembershipWorkload } from "./membership-workload.js";
import type { SimulationOptions } from "./options.js";
import { phaseLinkOptions } from "./phase-links.js";
import { type ProcessFaultHost, ProcessFaults, type ProcessTarget } from "./process-faults.js";
import { SafetyChecker } from "./safety-checker.js";
import type { NodeHost, SimNode } from "./sim-node.js";
import { simulationResult } from "./simulation-result.js";
import { clientOptions, makeSimNodes } from "./simulation-setup.js";
import type { RunOptions, SimulationOutcome, SimulationResult } from "./simulation-types.js";
import { SnapshotCrashes } from "./snapshot-crashes.js";
import { SpinChecker } from "./spin-checker.js";
import { StaleReplays } from "./stale-replays.js";
import { StepObserver } from "./step-observer.js";
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
  readonly membershipChecker: MembershipChecker;
  readonly spin: SpinChecker;
  readonly trace: Trace;
  readonly clients: KvClients;
  readonly checkpoints = new KvCheckpoints(16);
  readonly nodes: SimNode<S>[];
  readonly ids: readonly NodeId[];
  readonly initialVoters: readonly NodeId[];
  readonly #membership: MembershipWorkload;
  /** The loop over the run's events (event-loop.ts). */
  readonly #events: EventLoop;
  readonly #faults: FaultInjector;
  readonly processFaults: ProcessFaults;
  readonly #observer: StepObserver;
  readonly snapshotCrashes: SnapshotCrashes;
  /** InstallSnapshot chunks held and delivered again long after (stale-replays.ts). */
  readonly #replays: StaleReplays;
  /** Async storage chains and driver microtasks (async-work.ts); none between events. */
  readonly #async = new AsyncWorkTracker();
  slowWrites = 0;
  /** Storage faults (slow writes; full disks and failed fsyncs are set on the disks) are on. */
  #storageFaults = true;

  constructor(options: SimulationOptions, run: RunOptions<S>) {
    const simulation = this;
    this.options = options;
    const root = new Prng(options.seed);
    this.#events = new EventLoop({
      get network() {
        return simulation.network;
      },
      async: this.#async,
      violated: () => this.checker.violation !== null,
      delivered: (message) => {
        this.#receive(message);
        this.#replays.delivered(message);
      },
      tick: (node, incarnation) => this.nodes[node]?.tick(incarnation),
      client: (kind, client, token) => this.clients.on(kind, client, token),
      faultRound: () => {
        this.#faults.round();
        this.processFaults.round();
      },
      scripted: (index) => this.#faults.scripted(index),
    });
    // The initial voters, then the spare nodes that start empty, waiting to be added.
    const nodeCount = options.nodeCount + options.spareNodeCount;
    this.ids = Array.from({ length: nodeCount }, (_, i) => nodeId(String(i + 1)));
    this.initialVoters = this.ids.slice(0, options.nodeCount);
    this.network = new Network({
      random: root.fork("network"),
      link: phaseLinkOptions(options, true),
    });
    this.checker = new SafetyChecker(this.ids);
    const initial = membershipOf(this.initialVoters, []);
    const joining = membershipOf([], []);
    this.membershipChecker = new MembershipChecker(
      this.checker,
      this.ids.map((id) => (this.initialVoters.includes(id) ? initial : joining)),
      options.checkQuorum,
    );
    this.#membership = new MembershipWorkload(
      root.fork("membership"),
      this.ids,
      options.preVote || options.checkQuorum,
    );
    this.spin = new SpinChecker(options, this.ids);
    this.trace = new Trace(run.traceCapacity ?? 40, run.traceListener);
    this.#observer = new StepObserver(
      this.checker,
      this.spin,
      new TransferChecker(this.checker),
      this.membershipChecker,
      this.trace,
    );
    this.#faults = new FaultInjector(
      this.#faultHost(),
      root.fork("faults"),
      run.faults,
      root.fork("transfers"),
      root.fork("corruption"),
    );
    this.processFaults = new ProcessFaults(this.#faultHost(), root.fork("process"));
    this.snapshotCrashes = new SnapshotCrashes(
      root.fork("snapshotCrashes"),
      options.snapshotCrashProbability,
      options.diskLatencyMaxMs,
      {
        get nowMs() {
          return simulation.nowMs;
        },
        faultsOn: () => this.#faults.on,
        scheduleAt: (atMs, crash) =>
          this.#events.queue.schedule(atMs, EventKind.callback, 0, 0, null, crash),
      },
      root.fork("removalCrashes"),
    );
    this.#replays = new StaleReplays(
      {
        network: this.network,
        trace: this.trace,
        heartbeatMs: options.heartbeatIntervalTicks * options.tickMs,
        faultsOn: () => this.#faults.on,
        receive: (message) => this.#receive(message),
        scheduleAt: this.scheduleAt,
      },
      root.fork("replays"),
      options.snapshotReplayProbability,
    );
    this.nodes = this.#makeNodes(run, root);
    this.clients = this.#makeClients(nodeCount, root.fork("clients"));
  }

  /** The servers, each on its own disk (node-disk.ts) with the core under test. */
  #makeNodes(run: RunOptions<S>, root: Prng): SimNode<S>[] {
    return makeSimNodes(this, this.ids, this.options, run, root, (i) => ({
      nowMs: () => this.nowMs,
      scheduleAt: (atMs, callback) =>
        this.#events.queue.schedule(atMs, EventKind.callback, i, 0, null, callback),
      work: this.#async.work,
      storageFaults: () => this.#storageFaults,
      slowWrite: (extraMs) => {
        this.slowWrites++;
        return extraMs;
      },
    }));
  }

  /** The clients and their workload, on the options' keys, pace and read mix (kv-clients.ts). */
  #makeClients(nodeCount: number, prng: Prng): KvClients {
    const host: ClientHost = {
      nodeCount,
      nowMs: () => this.network.nowMs,
      schedule: (atMs, kind, client, token) =>
        this.#events.queue.schedule(atMs, EventKind.client, client, token, kind),
      isUp: (node) => this.nodes[node]?.up ?? false,
      propose: (node, id, data) => this.nodes[node]?.propose(id, data),
      read: (node, id, key, consistency) => this.nodes[node]?.read(id, key, consistency),
      trace: (detail) => this.trace.client(this.network.nowMs, detail),
      whoLeads: () => whoLeads(this.nodes),
    };
    return new KvClients(host, clientOptions(this.options), prng);
  }

  /** How the membership changes the workload asked for settled. */
  get membershipTally(): MembershipTally {
    return this.#membership.tally;
  }

  get nowMs(): number {
    return this.network.nowMs;
  }

  /** The driver's clock for the nodes' ProposalRegistry and Notifier (async-work.ts). */
  readonly scheduler: Scheduler = virtualScheduler(
    () => this.nowMs,
    (atMs, callback) => this.#events.queue.schedule(atMs, EventKind.callback, 0, 0, null, callback),
    this.#async.work,
  );

  get work(): AsyncWork {
    return this.#async.work;
  }

  readonly scheduleAt = (atMs: number, callback: () => void): void =>
    this.#events.queue.schedule(atMs, EventKind.callback, 0, 0, null, callback);

  fail(error: unknown): void {
    this.#async.work.failed(error);
  }

  restarted(node: NodeId): void {
    this.#replays.restarted(node);
  }

  faultsOn(): boolean {
    return this.#faults.on;
  }

  afterTimeoutNow(node: ProcessTarget): void {
    this.processFaults.afterTimeoutNow(node);
  }

  afterForwardedRead(node: Parameters<NodeHost["afterForwardedRead"]>[0]): void {
    this.processFaults.afterForwardedRead(node);
  }

  crashNode(node: Parameters<NodeHost["crashNode"]>[0], prng: Prng): void {
    this.#faults.crash(node, prng);
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
      await this.#async.settle();
      this.clients.start();
      this.#faults.start();
      await this.#events.run(() => this.#events.steps >= this.options.steps);
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
    const record = {
      options: this.options,
      network: this.network,
      checker: this.checker,
      spin: this.spin,
      trace: this.trace,
      clients: this.clients,
      checkpoints: this.checkpoints,
      faults: this.#faults,
      processFaults: this.processFaults,
      membershipTally: this.#membership.tally,
      observer: this.#observer,
      nodes: this.nodes,
      steps: this.#events.steps,
      slowWrites: this.slowWrites,
      snapshotCrashes: this.snapshotCrashes.counts,
    };
    return simulationResult(record, outcome, error, livenessFailure, unknown);
  }

  /** Hands a message to the node it is addressed to. */
  #receive(message: Message): void {
    this.nodes[this.nodeIndex(message.to) ?? -1]?.deliver({ type: "receive", message });
  }

  /** The fault injector's and the process faults' view of this simulation. */
  #faultHost(): FaultHost & ProcessFaultHost {
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
      membership: (node) => this.membershipChecker.current(this.nodeIndex(node.id) ?? -1),
      membershipWorkload: this.#membership,
      scheduleRound: (atMs) => this.#events.queue.schedule(atMs, EventKind.faults, 0, 0),
      scheduleScripted: (atMs, i) => this.#events.queue.schedule(atMs, EventKind.scripted, i, 0),
      faultsOn: () => this.#faults.on,
      scheduleAt: (atMs, callback) =>
        this.#events.queue.schedule(atMs, EventKind.callback, 0, 0, null, callback),
      crashNode: (node, prng) => this.#faults.crash(node, prng),
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
    await this.#async.settle();
    this.clients.healed(this.options.livenessOperationsPerClient);
    const deadlineMs = this.nowMs + this.options.livenessBudgetTicks * this.options.tickMs;
    // Virtual time bounds the phase unless events pile up at one instant (a message storm at
    // zero latency): a step cap, far above any healthy run, turns that into a failure too.
    const stepCap =
      this.#events.steps + 1000 * this.options.livenessBudgetTicks * this.options.nodeCount;
    await this.#events.run(
      () =>
        this.nowMs > deadlineMs ||
        this.#events.steps > stepCap ||
        this.clients.livenessFailure !== null ||
        (this.clients.livenessDone && this.#laggard() === null),
    );
    if (this.checker.violation !== null) return null;
    return livenessVerdict({
      clients: this.clients,
      budgetTicks: this.options.livenessBudgetTicks,
      storm: this.#events.steps > stepCap ? stepCap : null,
      hasLeader: this.#leader() !== null,
      laggard: this.#laggard(),
    });
  }

  #leader(): SimNode<S> | null {
    return leaderOf(this.nodes, (node) => this.membershipChecker.current(node));
  }

  #laggard(): string | null {
    return laggardOf(this.nodes, this.checker, (node) => this.membershipChecker.current(node));
  }

  /** Returns whether the linearizability search gave up (unknown). */
  #finalChecks(): boolean {
    const leader = this.#leader();
    if (leader !== null) this.checker.checkAcknowledgedIn(leader.index);
    if (this.checker.violation !== null || this.checker.excused !== null) return false;
    return checkHistory(this.checker, this.clients.history);
  }

  /** Called by nodes after every step of their core (step-observer.ts). */
  stepped(
    node: { readonly id: NodeId; readonly index: number },
    event: Event,
    effects: readonly Effect[],
    messages: readonly Message[],
  ): void {
    this.#observer.stepped(this.nowMs, node, event, effects, messages);
  }

  scheduleTick(node: number, atMs: number, incarnation: number): void {
    this.#events.queue.schedule(atMs, EventKind.tick, node, incarnation);
  }
}
