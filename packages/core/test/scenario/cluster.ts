// A test-only cluster of reducers with a scripted network and a storage model, for the scenario
// scripts and the paper tests. Nothing here is clever on purpose: every message waits on its link
// until a script delivers or drops it, and every write becomes durable at once unless the script
// holds that node's storage. Each step's output is rendered into `trace` lines (see format.ts).
//
// The cluster also checks what it can observe, and reports a violation as a `VIOLATION` trace line
// (the runner fails any script whose output has one): two leaders in one term, two different
// entries applied at one index, applies out of order, a stale read (cluster-checks.ts), persist
// effects that leave a gap (disk-model.ts), and a message that promises more than its sender's
// disk holds (promises.ts).

import {
  type Config,
  type ConfigInput,
  type Entry,
  type Event,
  type Index,
  type Message,
  type NodeId,
  nodeId,
  type PersistEffect,
  type Persisted,
  type Status,
  type Term,
  validateConfig,
} from "@flotilla/core";
import {
  init,
  type RaftStateInternals,
  snapshotChunkReadEvent,
  status,
  step,
} from "@flotilla/core/runtime";
import { MemorySnapshots } from "../../src/memory-snapshots.js";
import { snapshotEvent } from "../snapshot-event.js";
import { ClusterChecks } from "./cluster-checks.js";
import { type Disk, emptyDisk, writeDisk } from "./disk-model.js";
import { describeWrite, formatEntry, formatMessage, formatNotification } from "./format.js";
import { brokenPromise } from "./promises.js";

export type ConfigOverrides = Partial<Omit<ConfigInput, "id" | "voters">>;

type SimNode = {
  readonly id: NodeId;
  readonly config: Config;
  /** null while crashed. */
  state: RaftStateInternals | null;
  disk: Disk;
  /** Every write that became durable, in order (for tests of what a node ever wrote). */
  readonly written: PersistEffect[];
  /** Persist effects written but not yet durable: lost by a crash. */
  pending: PersistEffect[];
  holdPersist: boolean;
  /** The last index handed to the (model) state machine since the last restart. */
  applied: number;
  /** Snapshot bytes, as a storage holds them (taken, received, in force). */
  readonly snapshots: MemorySnapshots;
  /** How many times it restarted: each start gets a seed of its own, as createNode draws one. */
  starts: number;
};

export class Cluster {
  readonly ids: readonly NodeId[];
  /** Output lines produced since the last `takeTrace`. */
  private trace: string[] = [];
  private readonly nodes = new Map<NodeId, SimNode>();
  /** Pending messages per directed link, keyed `from->to`, oldest first. */
  private readonly links = new Map<string, Message[]>();
  /** Partition group of each node; null when the network is whole. */
  private groups: Map<NodeId, number> | null = null;
  /** Election safety, applies, stale reads (cluster-checks.ts): violations go to the trace. */
  private readonly checks = new ClusterChecks((line) => this.trace.push(line));

  /** Nodes 1..size; the first `votersCount` are the voters, the others start empty and join. */
  constructor(size: number, overrides: ConfigOverrides = {}, votersCount = size) {
    this.ids = Array.from({ length: size }, (_, i) => nodeId(String(i + 1)));
    const voters = this.ids.slice(0, votersCount);
    for (const id of this.ids) {
      const join = !voters.includes(id);
      const config = validateConfig({ ...overrides, id, voters: join ? [] : voters, join });
      const node: SimNode = {
        id,
        config,
        state: init(config),
        disk: emptyDisk(),
        written: [],
        pending: [],
        holdPersist: false,
        applied: 0,
        snapshots: new MemorySnapshots(),
        starts: 1,
      };
      this.nodes.set(id, node);
    }
  }

  takeTrace(): string[] {
    const lines = this.trace;
    this.trace = [];
    return lines;
  }

  node(id: NodeId): SimNode {
    const node = this.nodes.get(id);
    if (node === undefined) throw new Error(`no node ${id} in this cluster`);
    return node;
  }

  status(id: NodeId): Status | null {
    const state = this.node(id).state;
    return state === null ? null : status(state);
  }

  /** The current state of a running node (for tests that step it by hand). */
  stateOf(id: NodeId): RaftStateInternals {
    const state = this.node(id).state;
    if (state === null) throw new Error(`node ${id} is down`);
    return state;
  }

  disk(id: NodeId): Persisted {
    const { hardState, snapshot, entries } = this.node(id).disk;
    return { hardState, snapshot, entries: [...entries] };
  }

  durableWrites(id: NodeId): readonly PersistEffect[] {
    return this.node(id).written;
  }

  pendingWrites(id: NodeId): readonly PersistEffect[] {
    return this.node(id).pending;
  }

  /**
   * Feeds one event to a running node and processes everything it produces. The follow-up events
   * the storage and the state machine report back (`persisted`, `applied`) are queued and fed in
   * order after the step that caused them, as a driver's next turn would.
   */
  stepNode(id: NodeId, event: Event): void {
    const queue: Event[] = [event];
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
      queue.push(...this.stepOnce(this.node(id), next));
    }
  }

  private stepOnce(node: SimNode, event: Event): Event[] {
    if (node.state === null) {
      this.trace.push(`${node.id} is down: ${event.type} ignored`);
      return [];
    }
    if (event.type === "read") this.checks.readAsked(node.id, event.id);
    const result = step(node.state, event);
    node.state = result.state;
    for (const effect of result.effects) {
      const line = formatNotification(node.id, effect);
      if (line !== null) this.trace.push(line);
      if (effect.type === "roleChanged" && effect.role === "leader") {
        this.checks.becameLeader(node.id, effect.term);
      }
      if (effect.type === "readReady") this.checks.readReady(node.id, effect.id, effect.index);
    }
    this.checks.committed(result.state.commit);
    for (const message of result.messages) this.send(message);
    const followUps: Event[] = [];
    for (const effect of result.effects) {
      // Snapshot chunks: stored at once; a read answers at once, as the node's next event.
      if (effect.type === "writeSnapshotChunk") {
        node.snapshots.writeChunk(effect.snapshot, effect.offset, effect.data);
      } else if (effect.type === "readSnapshotChunk") {
        const data = node.snapshots.readChunk(effect.snapshot, effect.offset, effect.length);
        followUps.push(snapshotChunkReadEvent(effect, data));
      }
      if (effect.type !== "persist") continue;
      if (effect.snapshot !== undefined) node.snapshots.adopt(effect.snapshot);
      node.pending.push(effect);
      if (node.holdPersist) this.trace.push(`${node.id}: persist held: ${describeWrite(effect)}`);
    }
    if (!node.holdPersist) followUps.push(...this.writePending(node));
    for (const effect of result.effects) {
      // The model state machine loads a received snapshot: it has applied up to its index.
      if (effect.type === "restore") node.applied = effect.snapshot.index;
    }
    const applied = result.effects.flatMap((e) => (e.type === "apply" ? e.entries : []));
    if (applied.length > 0) followUps.push(this.apply(node, applied));
    return followUps;
  }

  /** The application of `id` snapshots its state `data` at `index`: stored, then the event. */
  takeSnapshot(id: NodeId, index: number, data: Uint8Array): void {
    this.node(id).snapshots.storeWhole(index, data);
    this.stepNode(id, snapshotEvent(index, data));
  }

  /** Makes a held node's writes durable and processes what follows (`persist 2`). */
  flushPersist(id: NodeId): void {
    const node = this.node(id);
    for (const event of this.writePending(node)) this.stepNode(id, event);
  }

  /** Makes pending writes durable, sends what waited on them; returns the `persisted` event. */
  private writePending(node: SimNode): Event[] {
    if (node.pending.length === 0) return [];
    const writes = node.pending;
    node.pending = [];
    let touchedLog = false;
    for (const write of writes) {
      node.written.push(write);
      touchedLog =
        writeDisk(node.id, node.disk, write, (line) => this.trace.push(line)) || touchedLog;
      for (const message of write.then) this.send(message);
    }
    if (!touchedLog) return [];
    const last = node.disk.entries.at(-1);
    const snapshot = node.disk.snapshot;
    return [
      {
        type: "persisted",
        index: (last?.index ?? snapshot?.index ?? 0) as Index,
        term: (last?.term ?? snapshot?.term ?? 0) as Term,
      },
    ];
  }

  /** The model state machine applies at once; returns the `applied` acknowledgement. */
  private apply(node: SimNode, entries: readonly Entry[]): Event {
    this.trace.push(`${node.id}: apply ${entries.map(formatEntry).join(" ")}`);
    for (const entry of entries) {
      this.checks.applied(node.id, entry, node.applied);
      node.applied = entry.index;
    }
    return { type: "applied", index: node.applied as Index };
  }

  private send(message: Message): void {
    const line = formatMessage(message);
    if (!this.nodes.has(message.to)) {
      this.trace.push(`VIOLATION: ${line} to an unknown node`);
      return;
    }
    if (this.cut(message.from, message.to)) {
      this.trace.push(`${line} (partitioned)`);
      return;
    }
    const broken = brokenPromise(message, this.disk(message.from));
    if (broken !== null) this.trace.push(`VIOLATION ${message.from}: ${broken}`);
    this.trace.push(line);
    const key = linkKey(message.from, message.to);
    const queue = this.links.get(key);
    if (queue === undefined) this.links.set(key, [message]);
    else queue.push(message);
  }

  private cut(from: NodeId, to: NodeId): boolean {
    return this.groups !== null && this.groups.get(from) !== this.groups.get(to);
  }

  pendingOn(from: NodeId, to: NodeId): readonly Message[] {
    return this.links.get(linkKey(from, to)) ?? [];
  }

  /** Delivers up to `count` messages waiting on the link (all by default); returns how many. */
  deliver(from: NodeId, to: NodeId, count = Number.POSITIVE_INFINITY): number {
    const queue = this.links.get(linkKey(from, to)) ?? [];
    const batch = queue.splice(0, Math.min(count, queue.length));
    for (const message of batch) this.receive(message);
    return batch.length;
  }

  /** Delivers the messages waiting on the link that pass `keep` and loses the others. */
  deliverIf(from: NodeId, to: NodeId, keep: (message: Message) => boolean): number {
    const batch = this.links.get(linkKey(from, to)) ?? [];
    this.links.delete(linkKey(from, to));
    let delivered = 0;
    for (const message of batch) {
      if (!keep(message)) continue;
      this.receive(message);
      delivered++;
    }
    return delivered;
  }

  /** Hands a message to its recipient (also for hand-made messages in tests). */
  receive(message: Message): void {
    if (this.node(message.to).state === null) {
      this.trace.push(`${formatMessage(message)} (lost: ${message.to} is down)`);
      return;
    }
    this.stepNode(message.to, { type: "receive", message });
  }

  /** One round: delivers every message pending now (not those sent meanwhile); returns how many. */
  deliverAll(): number {
    let delivered = 0;
    for (const from of this.ids) {
      for (const to of this.ids) {
        const waiting = this.pendingOn(from, to).length;
        if (waiting > 0) delivered += this.deliver(from, to, waiting);
      }
    }
    return delivered;
  }

  drop(from: NodeId, to: NodeId): number {
    const queue = this.links.get(linkKey(from, to)) ?? [];
    this.links.delete(linkKey(from, to));
    return queue.length;
  }

  /** Delivers rounds until no message is pending; returns false if still busy after `maxRounds`. */
  stabilize(maxRounds = 200): boolean {
    for (let round = 0; round < maxRounds; round++) {
      if (this.deliverAll() === 0) return true;
    }
    return false;
  }

  partition(groups: readonly (readonly NodeId[])[]): number {
    const assignment = new Map<NodeId, number>();
    groups.forEach((group, i) => {
      for (const id of group) assignment.set(this.node(id).id, i);
    });
    let isolated = groups.length;
    for (const id of this.ids) if (!assignment.has(id)) assignment.set(id, isolated++);
    this.groups = assignment;
    let dropped = 0;
    for (const from of this.ids) {
      for (const to of this.ids) if (this.cut(from, to)) dropped += this.drop(from, to);
    }
    return dropped;
  }

  heal(): void {
    this.groups = null;
  }

  /**
   * Loses the node's volatile state and unpersisted writes; messages already sent stay sent. The
   * restarted process writes normally again: a crash also ends `hold-persist`.
   */
  crash(id: NodeId): number {
    const node = this.node(id);
    const lost = node.pending.length;
    node.state = null;
    node.pending = [];
    node.holdPersist = false;
    return lost;
  }

  /** Starts the node again from exactly what its disk holds. */
  restart(id: NodeId): void {
    const node = this.node(id);
    node.pending = [];
    node.applied = node.disk.snapshot?.index ?? 0;
    node.snapshots.keepOnly(node.disk.snapshot);
    node.starts++;
    node.state = init({ ...node.config, seed: node.config.seed + node.starts - 1 }, this.disk(id));
  }

  /** Replaces a node's disk (to build diverged logs, Figure 7) and restarts it from it. */
  load(id: NodeId, persisted: Persisted): void {
    const node = this.node(id);
    node.disk = {
      hardState: persisted.hardState,
      snapshot: persisted.snapshot,
      entries: [...persisted.entries],
    };
    this.restart(id);
  }

  /**
   * The node's disk loses its entries from `from` on and its commit index drops to match, as a
   * restored backup or a recovery dropping a torn last record would leave it; it restarts from
   * that. Its votes and term are kept.
   */
  loseFrom(id: NodeId, from: number): void {
    const { hardState, snapshot, entries } = this.disk(id);
    const commit = Math.min(hardState.commit, from - 1) as Index;
    const kept = entries.filter((e) => e.index < from);
    this.load(id, { hardState: { ...hardState, commit }, snapshot, entries: kept });
  }

  setHoldPersist(id: NodeId, hold: boolean): void {
    this.node(id).holdPersist = hold;
  }
}

function linkKey(from: NodeId, to: NodeId): string {
  return `${from}->${to}`;
}
