import type { ConfigInput, Effect, Entry, Event, Index, NodeId, Role, Term } from "@flotilla/core";
import type { KvInput } from "@flotilla/kv-model";
import {
  applyKv,
  decodeKvCommand,
  decodeKvSnapshot,
  emptyKvState,
  encodeKvSnapshot,
  type KvState,
} from "@flotilla/kv-model";
import type { Network, Prng } from "@flotilla/transport-memory";
import type { KvCheckpoints } from "./kv-checkpoints.js";
import type { KvClients } from "./kv-clients.js";
import type { SimulationOptions } from "./options.js";
import type { RaftCore } from "./raft-core.js";
import type { SafetyChecker } from "./safety-checker.js";
import { SimDisk } from "./sim-disk.js";
import type { Trace } from "./trace.js";

/** What a node needs from the simulation around it. */
export interface NodeHost {
  readonly options: SimulationOptions;
  readonly network: Network;
  readonly clients: KvClients;
  readonly checker: SafetyChecker;
  readonly trace: Trace;
  /** Compares nodes' key-value states at equal applied indexes (snapshots included). */
  readonly checkpoints: KvCheckpoints;
  readonly nowMs: number;
  nodeIndex(id: NodeId | null): number | null;
  observed(node: number, effects: readonly Effect[]): void;
  traceStep(node: { readonly id: NodeId; readonly index: number }, event: Event): void;
  scheduleTick(node: number, atMs: number, incarnation: number): void;
  scheduleDisk(node: number, atMs: number, generation: number): void;
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
 * One simulated server: a reducer state, its disk, its key-value state machine and its clock.
 * It plays the node driver's part: persists, sends, applies and reports back exactly as the
 * effects contract orders (effect.ts), with durability delayed by the disk.
 */
export class SimNode<S> {
  readonly id: NodeId;
  readonly index: number;
  readonly disk = new SimDisk({ term: 0 as Term, vote: null, commit: 0 as Index });
  readonly #host: NodeHost;
  readonly #core: RaftCore<S>;
  readonly #prng: Prng;
  readonly #diskPrng: Prng;
  /** Virtual ms per tick of this node's clock: the nominal tick scaled by its skew. */
  readonly tickPeriodMs: number;
  #state: S | null = null;
  #up = false;
  #incarnation = 0;
  #kv: KvState = emptyKvState;
  /** Picks the random points at which this node snapshots its state machine. */
  readonly #snapshotPrng: Prng;
  /** The applied index at or after which the next snapshot is taken. */
  #nextSnapshotAt = 0;
  role: Role = "follower";
  term = 0;

  constructor(host: NodeHost, core: RaftCore<S>, id: NodeId, index: number, root: Prng) {
    this.#host = host;
    this.#core = core;
    this.id = id;
    this.index = index;
    this.#prng = root.fork(`node/${id}`);
    this.#diskPrng = root.fork(`disk/${id}`);
    this.#snapshotPrng = root.fork(`snapshots/${id}`);
    const skew = host.options.clockSkew;
    const rate = 1 - skew + 2 * skew * this.#prng.next();
    this.tickPeriodMs = Math.max(1, Math.round(host.options.tickMs * rate));
  }

  get up(): boolean {
    return this.#up;
  }

  start(): void {
    this.restart("start");
  }

  restart(what: "start" | "restart" = "restart"): void {
    const host = this.#host;
    const persisted = this.disk.load();
    const config: ConfigInput = {
      id: this.id,
      voters: host.checker.ids,
      electionTimeoutTicks: host.options.electionTimeoutTicks,
      heartbeatIntervalTicks: host.options.heartbeatIntervalTicks,
      preVote: host.options.preVote,
      checkQuorum: host.options.checkQuorum,
      entriesBytesPerMessageMax: host.options.entriesBytesPerMessageMax,
      inflightMessagesMax: host.options.inflightMessagesMax,
      seed: this.#prng.nextUint32(),
      snapshotTrailingEntries: host.options.snapshotTrailingEntries,
      snapshotChunkBytesMax: host.options.snapshotChunkBytesMax,
    };
    this.#incarnation++;
    // The state machine starts from the latest durable snapshot, as the driver's does.
    const snapshot = persisted.snapshot;
    this.#kv = snapshot === null ? emptyKvState : decodeKvSnapshot(snapshot.data);
    this.#scheduleSnapshot(snapshot?.index ?? 0);
    this.role = "follower";
    this.term = persisted.hardState.term;
    host.trace.fault(
      host.nowMs,
      `${what} n${this.id} (term ${this.term}, ${persisted.entries.length} entries, commit ${persisted.hardState.commit})`,
    );
    this.#state = this.#core.init(config, persisted);
    this.#up = true;
    host.network.restart(this.id);
    if (snapshot !== null) this.#checkpoint(snapshot.index, "restarted from its snapshot");
    host.checker.restarted(this.index, persisted.hardState, persisted.snapshot, this.disk.mirror);
    // A random phase, so restarted clocks do not tick in lockstep.
    host.scheduleTick(
      this.index,
      host.nowMs + 1 + this.#prng.int(this.tickPeriodMs),
      this.#incarnation,
    );
  }

  /**
   * Power loss. With `torn`, the write in progress leaves a random prefix of its entries; with
   * `tornEntries`, that many of them (a scripted fault).
   */
  crash(torn: Prng | null, tornEntries?: number): void {
    const host = this.#host;
    const inProgress = this.disk.inProgressEntries;
    const kept =
      inProgress === null
        ? undefined
        : tornEntries !== undefined
          ? Math.min(tornEntries, inProgress)
          : torn !== null
            ? torn.int(inProgress + 1)
            : undefined;
    host.trace.fault(
      host.nowMs,
      `crash n${this.id}${kept === undefined ? "" : ` (torn write keeps ${kept}/${inProgress} entries)`}`,
    );
    this.disk.crash(kept);
    this.#state = null;
    this.#up = false;
    this.role = "follower";
    host.network.crash(this.id);
    host.checker.crashed(this.index);
    host.clients.nodeCrashed(this.index);
  }

  tick(incarnation: number): void {
    if (!this.#up || incarnation !== this.#incarnation) return;
    this.step({ type: "tick" });
    this.#host.scheduleTick(this.index, this.#host.nowMs + this.tickPeriodMs, incarnation);
  }

  /** The oldest pending write is durable: send what waited on it, tell the reducer. */
  diskDone(generation: number): void {
    if (!this.#up || generation !== this.disk.generation) return;
    const { effect } = this.disk.completeNext();
    const network = this.#host.network;
    for (const message of effect.then) network.send(message.from, message.to, message);
    if (
      effect.entries.length > 0 ||
      effect.truncateFrom !== undefined ||
      effect.snapshot !== undefined
    ) {
      const { index, term } = this.disk.lastDurable();
      this.step({ type: "persisted", index: index as Index, term: term as Term });
    }
  }

  /** Runs one reducer step and carries out its output; a no-op while the node is down. */
  step(event: Event): void {
    const host = this.#host;
    if (!this.#up) return;
    host.traceStep(this, event);
    const result = this.#core.step(this.#state as S, event);
    this.#state = result.state;
    host.observed(this.index, result.effects);
    const network = host.network;
    for (const message of result.messages) network.send(message.from, message.to, message);
    let appliedTo = -1;
    for (const effect of result.effects) {
      switch (effect.type) {
        case "persist": {
          const latencyMs = this.#diskPrng.intBetween(
            host.options.diskLatencyMinMs,
            host.options.diskLatencyMaxMs,
          );
          const atMs = this.disk.write(effect, host.nowMs, latencyMs);
          host.scheduleDisk(this.index, atMs, this.disk.generation);
          break;
        }
        case "apply":
          for (const entry of effect.entries) {
            this.#apply(entry);
            if (host.checkpoints.due(entry.index)) this.#checkpoint(entry.index, "applied");
          }
          if (effect.entries.length > 0)
            appliedTo = (effect.entries[effect.entries.length - 1] as Entry).index;
          break;
        case "restore":
          this.#kv = decodeKvSnapshot(effect.snapshot.data);
          this.#checkpoint(effect.snapshot.index, "restored a snapshot from the leader");
          host.clients.restored(this.index, effect.snapshot.index, effect.snapshot.term);
          appliedTo = effect.snapshot.index;
          break;
        case "proposalAccepted":
          host.clients.accepted(effect.id, this.index, effect.index, effect.term);
          break;
        case "proposalRejected":
          host.clients.rejected(effect.id, host.nodeIndex(effect.leader), effect.reason);
          break;
        case "roleChanged":
          this.role = effect.role;
          this.term = effect.term;
          break;
        case "membershipChanged":
        case "dropped":
          break;
        default: {
          const never: never = effect;
          throw new TypeError(`unknown effect ${JSON.stringify(never)}`);
        }
      }
    }
    // The application acknowledges at once: the simulated state machine applies synchronously.
    if (appliedTo >= 0 && this.#up) this.step({ type: "applied", index: appliedTo as Index });
    if (appliedTo >= 0) this.#maybeSnapshot(appliedTo);
  }

  /** Snapshots at random points, every `snapshotEveryEntries` applied entries on average. */
  #maybeSnapshot(applied: number): void {
    if (this.#host.options.snapshotEveryEntries === 0 || this.#state === null) return;
    if (applied < this.#nextSnapshotAt) return;
    this.#scheduleSnapshot(applied);
    this.#checkpoint(applied, "took a snapshot");
    this.step({ type: "snapshot", index: applied as Index, data: encodeKvSnapshot(this.#kv) });
  }

  #scheduleSnapshot(from: number): void {
    const every = this.#host.options.snapshotEveryEntries;
    this.#nextSnapshotAt = every === 0 ? 0 : from + 1 + this.#snapshotPrng.int(2 * every);
  }

  #checkpoint(index: number, how: string): void {
    const host = this.#host;
    const mismatch = host.checkpoints.check(this.id, index, this.#kv, how);
    if (mismatch !== null) host.checker.report("stateMachineSafety", this.index, mismatch.detail);
  }

  #apply(entry: Entry): void {
    if (entry.kind !== "command") {
      // A no-op or membership entry can still fill the slot a client's command was accepted at.
      this.#host.clients.applied(this.index, entry.index, entry.term, null);
      return;
    }
    const { state, output } = applyKv(this.#kv, decodeCached(entry.data));
    this.#kv = state;
    this.#host.clients.applied(this.index, entry.index, entry.term, output);
  }
}
