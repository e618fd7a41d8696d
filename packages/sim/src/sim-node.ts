import {
  type ConfigInput,
  type Effect,
  type Entry,
  type Event,
  type Index,
  LeadershipLostError,
  LeadershipTransferringError,
  type Message,
  type NodeId,
  NotLeaderError,
  OutcomeUnknownError,
  OverloadedError,
  type Persisted,
  type Role,
  type Scheduler,
  SteppedDownError,
  validateConfig,
} from "@flotilla/core";
import {
  type IoCompletion,
  type IoRequest,
  MembershipChangeRegistry,
  NodeRuntime,
  Notifier,
  ProposalRegistry,
  ReadRegistry,
  type RuntimeRules,
  TransferWaiter,
  type Turn,
  type TurnReport,
} from "@flotilla/core/runtime";
import {
  applyKv,
  decodeKvCommand,
  decodeKvSnapshot,
  emptyKvState,
  encodeKvSnapshot,
  type KvInput,
  type KvOutput,
  type KvState,
} from "@flotilla/kv-model";
import type { Network, Prng } from "@flotilla/transport-memory";
import type { KvCheckpoints } from "./kv-checkpoints.js";
import type { ProposalOutcome } from "./kv-client-host.js";
import type { KvClients } from "./kv-clients.js";
import { entryHash, LogMirror } from "./log-mirror.js";
import { leaseSettings, type SimulationOptions } from "./options.js";
import type { RaftCore } from "./raft-core.js";
import type { SafetyChecker } from "./safety-checker.js";
import type { SimStorage } from "./sim-storage.js";
import type { SpinChecker } from "./spin-checker.js";
import type { Trace } from "./trace.js";

/** What a node needs from the simulation around it. */
export interface NodeHost {
  readonly options: SimulationOptions;
  readonly network: Network;
  readonly clients: KvClients;
  readonly checker: SafetyChecker;
  readonly spin: SpinChecker;
  readonly trace: Trace;
  /** Compares nodes' key-value states at equal applied indexes (snapshots included). */
  readonly checkpoints: KvCheckpoints;
  readonly nowMs: number;
  nodeIndex(id: NodeId | null): number | null;
  /** Every step of a node's core, as it happens: checkers first, then the trace fingerprint. */
  stepped(
    node: { readonly id: NodeId; readonly index: number },
    event: Event,
    effects: readonly Effect[],
    messages: readonly Message[],
  ): void;
  scheduleTick(node: number, atMs: number, incarnation: number): void;
  /**
   * Virtual timers and tracked microtasks, as createNode's driver gets from its host: the
   * ProposalRegistry settles refusals in a later task, and its promises' reactions run as
   * microtasks the simulator drains after the event.
   */
  readonly scheduler: Scheduler;
  /** Something only a bug explains: the run stops with outcome "crash". */
  fail(error: unknown): void;
}

// Commands are decoded once, not once per node: every node applies the same Uint8Array object
// (the network passes messages by reference), so a WeakMap keyed by it is a cheap cache.
const decoded = new WeakMap<Uint8Array, KvInput>();

function decodeCached(data: Uint8Array): KvInput {
  let input = decoded.get(data);
  if (input === undefined) {
    input = decodeKvCommand(data);
    decoded.set(data, input);
  }
  return input;
}

/**
 * One simulated server: the node runtime that `createNode` runs (@flotilla/core/runtime), driven
 * by simulated time, network and storage, with the key-value state machine. Everything the
 * runtime asks for is carried out here, synchronously except the storage's writes, which complete
 * in virtual time; events that arrive meanwhile wait in the runtime's inbox for the next turn.
 */
export class SimNode<S> {
  readonly id: NodeId;
  readonly index: number;
  readonly storage: SimStorage;
  readonly #host: NodeHost;
  readonly #core: RaftCore<S>;
  readonly #rules: RuntimeRules | undefined;
  readonly #prng: Prng;
  /** Virtual ms per tick of this node's clock: the nominal tick scaled by its skew. */
  readonly tickPeriodMs: number;
  #runtime: NodeRuntime<S, KvOutput> | null = null;
  /** The turn in flight, suspended on a write; null between turns. */
  #turn: Turn<KvOutput> | null = null;
  #up = false;
  /** A restart's load is under way (FileStorage opens and recovers asynchronously). */
  #loading = false;
  #incarnation = 0;
  #kv: KvState = emptyKvState;
  /** createNode's settlement of proposals (one registry and notifier per life, as per process). */
  #proposals: ProposalRegistry<KvOutput> | null = null;
  #reads: ReadRegistry | null = null;
  #notifier: Notifier<KvOutput> | null = null;
  /** Where the registry's proposals were accepted, to tell the checker what was acknowledged. */
  readonly #positions = new Map<string, { readonly index: number; readonly term: number }>();
  /** The commit index the node's hard state says, as the driver reads it after a turn. */
  #commit = 0;
  role: Role = "follower";
  term = 0;
  /** The highest index applied to the state machine (entries or a snapshot) in this life. */
  applied = 0;
  /** Whether the node ever lost its data (amnesia): after the heal it must catch up. */
  hadAmnesia = false;
  /** How many times the node stopped because its storage refused a write. */
  storageFailures = 0;

  constructor(
    host: NodeHost,
    core: RaftCore<S>,
    rules: RuntimeRules | undefined,
    id: NodeId,
    index: number,
    root: Prng,
    makeStorage: (node: SimNode<S>) => SimStorage,
  ) {
    this.#host = host;
    this.#core = core;
    this.#rules = rules;
    this.id = id;
    this.index = index;
    this.#prng = root.fork(`node/${id}`);
    const skew = host.options.clockSkew;
    const rate = 1 - skew + 2 * skew * this.#prng.next();
    this.tickPeriodMs = Math.max(1, Math.round(host.options.tickMs * rate));
    this.storage = makeStorage(this);
  }

  get up(): boolean {
    return this.#up;
  }

  start(): void {
    this.restart("start");
  }

  /**
   * Loads what the disk holds and boots a new runtime on it. Ignored while a load is under way
   * (a restart scheduled twice): two storages open on one directory would each recover it.
   */
  restart(what: "start" | "restart" = "restart"): void {
    if (this.#loading) return;
    this.#incarnation++;
    const incarnation = this.#incarnation;
    this.#loading = true;
    this.storage.load(
      (persisted) => {
        if (incarnation !== this.#incarnation) return;
        this.#loading = false;
        this.#boot(persisted, what);
      },
      (error) => {
        // The disk is full: the node stays down until a later restart, once space is back.
        if (incarnation !== this.#incarnation) return;
        this.#loading = false;
        this.#host.trace.fault(this.#host.nowMs, `${what} n${this.id} failed: ${describe(error)}`);
      },
    );
  }

  #boot(persisted: Persisted, what: "start" | "restart"): void {
    const host = this.#host;
    const options = host.options;
    const config: ConfigInput = {
      id: this.id,
      voters: host.checker.ids,
      electionTimeoutTicks: options.electionTimeoutTicks,
      heartbeatIntervalTicks: options.heartbeatIntervalTicks,
      preVote: options.preVote,
      checkQuorum: options.checkQuorum,
      entriesBytesPerMessageMax: options.entriesBytesPerMessageMax,
      inflightMessagesMax: options.inflightMessagesMax,
      seed: this.#prng.nextUint32(),
      snapshotTrailingEntries: options.snapshotTrailingEntries,
      snapshotChunkBytesMax: options.snapshotChunkBytesMax,
      ...leaseSettings(options),
    };
    const every = options.snapshotEveryEntries;
    const runtime = new NodeRuntime<S, KvOutput>(this.#core, validateConfig(config), {
      snapshotPolicy: { everyEntries: every === 0 ? undefined : every, everyBytes: undefined },
      hooks: { stepped: (event, output) => this.#stepped(event, output.effects, output.messages) },
      ...(this.#rules === undefined ? {} : { rules: this.#rules }),
    });
    // The state machine starts from the latest durable snapshot, as the driver's does.
    const snapshot = persisted.snapshot;
    this.#kv = snapshot === null ? emptyKvState : decodeKvSnapshot(snapshot.data);
    this.role = "follower";
    this.term = persisted.hardState.term;
    this.applied = snapshot?.index ?? 0;
    host.trace.fault(
      host.nowMs,
      `${what} n${this.id} (term ${this.term}, ${persisted.entries.length} entries, commit ${persisted.hardState.commit})`,
    );
    runtime.load(persisted);
    this.#runtime = runtime;
    this.#proposals = new ProposalRegistry<KvOutput>(host.scheduler);
    this.#reads = new ReadRegistry(host.scheduler);
    this.#notifier = new Notifier<KvOutput>(
      this.#proposals,
      new MembershipChangeRegistry(host.scheduler),
      this.#reads,
      new TransferWaiter(host.scheduler),
      host.scheduler,
    );
    this.#notifier.loaded(persisted.hardState.term, (snapshot?.index ?? 0) as Index);
    this.#commit = Math.max(persisted.hardState.commit, snapshot?.index ?? 0);
    this.#positions.clear();
    this.#turn = null;
    this.#up = true;
    host.network.restart(this.id);
    if (snapshot !== null) this.#checkpoint(snapshot.index, "restarted from its snapshot");
    host.checker.restarted(this.index, persisted.hardState, snapshot, mirrorOf(persisted));
    // A random phase, so restarted clocks do not tick in lockstep.
    host.scheduleTick(
      this.index,
      host.nowMs + 1 + this.#prng.int(this.tickPeriodMs),
      this.#incarnation,
    );
  }

  /** Asks this node to hand leadership to `to` (it refuses unless it leads). */
  transferLeadership(to: NodeId): void {
    this.#host.trace.fault(this.#host.nowMs, `transfer leadership n${this.id} -> n${to}`);
    this.deliver({ type: "transferLeadership", to });
  }

  /**
   * Power loss. With `torn`, the write in progress may leave part of itself behind, as the
   * storage's crash model allows; with `tornEntries`, that many of its entries (a scripted fault).
   */
  crash(torn: Prng | null, tornEntries?: number): void {
    const host = this.#host;
    const note = this.storage.crash(torn, tornEntries);
    host.trace.fault(host.nowMs, `crash n${this.id}${note}`);
    this.#down();
  }

  /**
   * The storage refused a write (disk full, fsync failed): the node stops, as createNode's does
   * (phase failed, the storage's typed error as the cause), keeping what its disk holds; a later
   * restart opens the storage again. Not a power loss: the page cache lives on.
   */
  #stopOnStorageFailure(error: Error): void {
    const host = this.#host;
    this.storage.stop();
    this.storageFailures++;
    host.trace.fault(host.nowMs, `n${this.id} stopped: ${describe(error)}`);
    this.#down();
  }

  /** The process is gone: its runtime, its turn, its place on the network. */
  #down(): void {
    const host = this.#host;
    this.#incarnation++;
    this.#loading = false;
    this.#runtime = null;
    this.#turn = null;
    this.#up = false;
    // The process is gone with its pending proposals: the clients learn it from the broken
    // connection (nodeCrashed), and nothing settles them any more.
    this.#proposals = null;
    this.#notifier = null;
    this.#positions.clear();
    this.role = "follower";
    host.network.crash(this.id);
    host.checker.crashed(this.index);
    host.clients.nodeCrashed(this.index);
  }

  /** Keeps a backup of what the node's disk holds durably now (for a later `forget`). */
  backup(): void {
    this.storage.backup();
  }

  /**
   * Amnesia, while down: the node's data directory becomes its last backup (`fromBackup`) or an
   * empty one. The checkers are told: from now on the run is held to what amnesia leaves
   * demanded (safety-checker.ts, `amnesia`).
   */
  forget(fromBackup: boolean): void {
    const host = this.#host;
    if (this.#up) throw new RangeError(`n${this.id} must be down to lose its data`);
    if (this.#loading) {
      // A restart reading the old directory is overtaken: it would boot on what was forgotten.
      this.#incarnation++;
      this.#loading = false;
    }
    host.trace.fault(host.nowMs, `n${this.id} ${this.storage.forget(fromBackup)}`);
    this.hadAmnesia = true;
    host.checker.amnesia(this.index);
  }

  tick(incarnation: number): void {
    if (!this.#up || incarnation !== this.#incarnation) return;
    this.deliver({ type: "tick" });
    this.#host.scheduleTick(this.index, this.#host.nowMs + this.tickPeriodMs, incarnation);
  }

  /**
   * A client's proposal, as `createNode`'s `propose`: registered with the node's ProposalRegistry,
   * which settles it (and so answers the client) by the rules the driver uses.
   */
  propose(clientId: string, data: Uint8Array): void {
    const proposals = this.#proposals;
    if (!this.#up || proposals === null) return;
    const host = this.#host;
    const { id, promise } = proposals.create(undefined);
    const settled = (outcome: ProposalOutcome) => {
      if (proposals === this.#proposals) host.clients.settled(clientId, outcome);
    };
    promise.then(
      (output) => {
        const position = this.#positions.get(id);
        this.#positions.delete(id);
        if (position !== undefined && proposals === this.#proposals) {
          host.checker.acknowledged(this.index, position.index, position.term);
        }
        settled({ kind: "ok", output });
      },
      (error: unknown) => {
        this.#positions.delete(id);
        const outcome = outcomeOf(error, host);
        if (outcome === null) host.fail(error);
        else settled(outcome);
      },
    );
    this.deliver({ type: "propose", id, data });
  }

  /**
   * A client's read of `key` without a log write, as `createNode`'s `read`: registered with the
   * node's ReadRegistry, which settles it once the core says it is ready and the node applied up
   * to its read index; then answered from the state machine.
   */
  read(clientId: string, key: string, consistency: "readIndex" | "lease"): void {
    const reads = this.#reads;
    if (!this.#up || reads === null) return;
    const host = this.#host;
    const { id, promise } = reads.create(undefined);
    promise.then(
      () => {
        if (reads !== this.#reads) return;
        if (this.role !== "leader") host.clients.readsServed.byFollower++;
        const value = this.#kv.get(key) ?? null;
        host.clients.settled(clientId, { kind: "ok", output: { op: "get", value } });
      },
      (error: unknown) => {
        const outcome = outcomeOf(error, host);
        if (outcome === null) host.fail(error);
        else if (reads === this.#reads) host.clients.settled(clientId, outcome);
      },
    );
    this.deliver({ type: "read", id, consistency });
  }

  /** Hands an event to the runtime; a turn runs at once unless one waits on the disk. */
  deliver(event: Event): void {
    const runtime = this.#runtime;
    if (!this.#up || runtime === null) return;
    runtime.enqueue(event);
    if (this.#turn === null) this.#runTurns(runtime);
  }

  #runTurns(runtime: NodeRuntime<S, KvOutput>): void {
    while (this.#turn === null && this.#runtime === runtime && runtime.hasWork) {
      this.#turn = runtime.turn();
      this.#resume(runtime, undefined);
    }
  }

  /** Runs the turn in flight until it waits on the disk or ends. */
  #resume(runtime: NodeRuntime<S, KvOutput>, completion: IoCompletion<KvOutput>): void {
    const turn = this.#turn as Turn<KvOutput>;
    let input = completion;
    for (;;) {
      const next = turn.next(input);
      if (next.done === true) {
        this.#turn = null;
        this.#report(next.value);
        return;
      }
      const request = next.value;
      if (request.type === "write") {
        const incarnation = this.#incarnation;
        this.storage.write(
          request.batch,
          () => {
            if (incarnation !== this.#incarnation || this.#turn !== turn) return;
            this.#resume(runtime, undefined);
            this.#runTurns(runtime);
          },
          (error) => {
            if (incarnation === this.#incarnation) this.#stopOnStorageFailure(error);
          },
        );
        return;
      }
      input = this.#perform(request);
      if (this.#runtime !== runtime) return; // a checker stopped the run, or the node crashed
    }
  }

  #perform(request: Exclude<IoRequest, { type: "write" }>): IoCompletion<KvOutput> {
    switch (request.type) {
      case "send": {
        const { network, spin, nowMs } = this.#host;
        for (const message of request.messages) {
          spin.sent(message.to, nowMs);
          network.send(message.from, message.to, message);
        }
        return undefined;
      }
      case "apply":
        return this.#applyEntries(request.entries);
      case "restore":
        this.#kv = decodeKvSnapshot(request.snapshot.data);
        this.#checkpoint(request.snapshot.index, "restored a snapshot from the leader");
        return undefined;
      case "takeSnapshot":
        this.#checkpoint(request.index, "took a snapshot");
        return encodeKvSnapshot(this.#kv);
      default: {
        const never: never = request;
        throw new TypeError(`unknown I/O request ${JSON.stringify(never)}`);
      }
    }
  }

  #applyEntries(entries: readonly Entry[]): (KvOutput | undefined)[] {
    const checkpoints = this.#host.checkpoints;
    const results: (KvOutput | undefined)[] = [];
    for (const entry of entries) {
      if (entry.kind === "command") {
        const { state, output } = applyKv(this.#kv, decodeCached(entry.data));
        this.#kv = state;
        results.push(output);
      } else {
        results.push(undefined);
      }
      if (checkpoints.due(entry.index)) this.#checkpoint(entry.index, "applied");
    }
    return results;
  }

  /**
   * The end of a turn, as createNode's shell ends it: the Notifier settles the proposals through
   * the ProposalRegistry. Their promises' reactions are microtasks: one more, queued after them
   * through the tracked scheduler, makes the simulator drain them before the next event.
   */
  #report(report: TurnReport<KvOutput>): void {
    const { notices, outcomes } = report.work;
    for (const notice of notices) {
      if (notice.type === "proposalAccepted") {
        this.#positions.set(notice.id, { index: notice.index, term: notice.term });
      }
    }
    for (const outcome of outcomes) {
      if (outcome.index > this.applied) this.applied = outcome.index;
      if (outcome.kind === "restored" && outcome.index > this.#commit) this.#commit = outcome.index;
    }
    this.#notifier?.finish(report, this.#commit as Index);
    if (notices.length > 0 || outcomes.length > 0) this.#host.scheduler.queueMicrotask(noop);
  }

  #stepped(event: Event, effects: readonly Effect[], messages: readonly Message[]): void {
    for (const effect of effects) {
      if (effect.type === "roleChanged") {
        this.role = effect.role;
        this.term = effect.term;
      } else if (effect.type === "persist" && effect.hardState !== undefined) {
        if (effect.hardState.commit > this.#commit) this.#commit = effect.hardState.commit;
      }
    }
    this.#host.stepped(this, event, effects, messages);
  }

  #checkpoint(index: number, how: string): void {
    const host = this.#host;
    const mismatch = host.checkpoints.check(this.id, index, this.#kv, how);
    if (mismatch !== null) host.checker.report("stateMachineSafety", this.index, mismatch.detail);
  }
}

function noop(): void {}

/**
 * What a client makes of the driver's settlement of its proposal: the typed errors of
 * createNode's `propose`. Null for an error no proposal of the simulator can meet (a bug).
 */
function outcomeOf(error: unknown, host: NodeHost): ProposalOutcome | null {
  if (error instanceof NotLeaderError) {
    return { kind: "retry", leader: host.nodeIndex(error.leader), reason: "notLeader" };
  }
  if (error instanceof OverloadedError) {
    return { kind: "retry", leader: host.nodeIndex(error.leader), reason: "overloaded" };
  }
  if (error instanceof LeadershipTransferringError) {
    // Names this node, which still leads: the client backs off instead of bouncing at once.
    return { kind: "retry", leader: host.nodeIndex(error.leader), reason: "transferring" };
  }
  if (error instanceof LeadershipLostError) {
    return { kind: "retry", leader: null, reason: `entry ${error.index}/${error.term} lost` };
  }
  if (error instanceof SteppedDownError || error instanceof OutcomeUnknownError) {
    return { kind: "unknown", reason: error.code };
  }
  return null;
}

/** An error's code and message, for the trace. */
function describe(error: Error): string {
  const code = (error as { readonly code?: unknown }).code;
  return typeof code === "string" ? `${code} ${error.message}` : error.message;
}

/** The checkers' picture of a log that storage loaded. */
function mirrorOf(persisted: Persisted): LogMirror {
  const mirror = new LogMirror();
  const snapshot = persisted.snapshot;
  if (snapshot !== null) mirror.reset(snapshot.index, snapshot.term);
  for (const entry of persisted.entries) mirror.append(entry.term, entryHash(entry));
  return mirror;
}
