// A tiny test-only cluster of reducers with a hand-driven network: messages wait in a queue until
// the test delivers, drops or duplicates them. Storage is instant: each persist effect is durable
// at once, so its `then` messages join the queue and the `persisted` event is fed straight back.
// Every safety check the tests rely on (one leader per term, agreeing committed prefixes) is
// recorded here as the run goes.

import {
  type ConfigInput,
  type Effect,
  type Entry,
  type Event,
  type HardState,
  type Index,
  type Message,
  type NodeId,
  nodeId,
  type PersistEffect,
  type Snapshot,
  type Term,
} from "@flotilla/core";
import {
  init,
  type RaftStateInternals,
  type StepResultInternals,
  step,
} from "@flotilla/core/runtime";

type Durable = { hardState: HardState; snapshot: Snapshot | null; entries: Entry[] };

export type ClusterOptions = Partial<Omit<ConfigInput, "id" | "voters">>;

export class Cluster {
  readonly ids: NodeId[];
  readonly states = new Map<NodeId, RaftStateInternals>();
  queue: Message[] = [];
  /**
   * Entries each node was told to apply, in order. A restored snapshot fills the positions it
   * covers with `restoredMarker` placeholders (their entries never reach the state machine).
   */
  readonly applied = new Map<NodeId, Entry[]>();
  /** Snapshots each node was told to restore, in order. */
  readonly restored = new Map<NodeId, Snapshot[]>();
  readonly leaderOfTerm = new Map<number, NodeId>();
  readonly effects: Array<{ id: NodeId; effect: Effect }> = [];
  /** Nodes whose persist effects are not made durable (their `then` is held back). */
  readonly slowDisk = new Set<NodeId>();
  readonly heldByDisk = new Map<NodeId, PersistEffect[]>();
  /** What each node's storage holds: a restart begins from exactly this. */
  readonly durable = new Map<NodeId, Durable>();
  /** Each node's snapshot bytes, as its storage holds them. */
  readonly snapshots = new Map<NodeId, MemorySnapshots>();

  /** Nodes n1..n<size>; the first `votersCount` are voters, the others start empty (`join`). */
  constructor(
    size: number,
    private readonly options: ClusterOptions = {},
    private readonly votersCount = size,
  ) {
    this.ids = Array.from({ length: size }, (_, i) => nodeId(`n${i + 1}`));
    for (const id of this.ids) {
      this.states.set(id, init(this.configOf(id)));
      this.applied.set(id, []);
      this.restored.set(id, []);
      this.snapshots.set(id, new MemorySnapshots());
      this.durable.set(id, {
        hardState: { term: 0 as Term, vote: null, commit: 0 as Index },
        snapshot: null,
        entries: [],
      });
    }
  }

  /**
   * Crashes `id` and starts it again from its storage (everything it had was durable); with
   * `snapshotBytesLost`, its storage found the snapshot's bytes damaged and set them aside.
   */
  restart(id: NodeId, snapshotBytesLost = false): void {
    const d = this.durable.get(id)!;
    this.heldByDisk.delete(id);
    this.snapshots.get(id)!.keepOnly(snapshotBytesLost ? null : d.snapshot);
    const persisted = { ...d, entries: [...d.entries], snapshotBytesLost };
    this.states.set(id, init(this.configOf(id), persisted));
  }

  private configOf(id: NodeId) {
    const voters = this.ids.slice(0, this.votersCount);
    const join = !voters.includes(id);
    return { ...this.options, id, voters: join ? [] : voters, join };
  }

  private write(id: NodeId, effect: PersistEffect): void {
    const d = this.durable.get(id)!;
    if (effect.snapshot !== undefined) {
      const snapshotIndex = effect.snapshot.index;
      d.snapshot = effect.snapshot;
      d.entries = d.entries.filter((e) => e.index > snapshotIndex);
    }
    if (effect.truncateFrom !== undefined) {
      const from = effect.truncateFrom;
      d.entries = d.entries.filter((e) => e.index < from);
    }
    d.entries.push(...effect.entries);
    if (effect.hardState !== undefined) d.hardState = effect.hardState;
  }

  state(id: NodeId): RaftStateInternals {
    return this.states.get(id)!;
  }

  step(id: NodeId, event: Event): StepResultInternals {
    const result = step(this.state(id), event);
    this.states.set(id, result.state);
    this.queue.push(...result.messages);
    for (const effect of result.effects) {
      this.effects.push({ id, effect });
      this.observe(id, effect);
    }
    this.snapshotIo(id, result.effects);
    const v = statusOf(result.state);
    if (v.commit > v.lastLogIndex) throw new Error(`${id} commits ${v.commit} beyond its log`);
    // A node without its snapshot's bytes applies nothing until it holds a snapshot again.
    if (!result.state.snapshotLost && this.applied.get(id)!.length < v.commit) {
      throw new Error(
        `${id} committed ${v.commit} but was only told to apply up to ${this.applied.get(id)!.length}`,
      );
    }
    for (const effect of result.effects) {
      if (effect.type !== "persist") continue;
      if (this.slowDisk.has(id)) {
        const held = this.heldByDisk.get(id) ?? [];
        held.push(effect);
        this.heldByDisk.set(id, held);
        continue;
      }
      this.made(id, effect);
    }
    return result;
  }

  /** The application of `id` snapshots its state `data` at `index`: stored, then the event. */
  takeSnapshot(id: NodeId, index: number, data: Uint8Array): StepResultInternals {
    this.snapshots.get(id)!.storeWhole(index, data);
    return this.step(id, snapshotEvent(index, data));
  }

  /** Stores received chunks; answers each chunk read at once (a step of its own). */
  private snapshotIo(id: NodeId, effects: readonly Effect[]): void {
    const snapshots = this.snapshots.get(id)!;
    for (const effect of effects) {
      if (effect.type === "writeSnapshotChunk") {
        snapshots.writeChunk(effect.snapshot, effect.offset, effect.data);
      } else if (effect.type === "persist" && effect.snapshot !== undefined) {
        snapshots.adopt(effect.snapshot);
      } else if (effect.type === "readSnapshotChunk") {
        const { to, snapshot, offset, length } = effect;
        this.step(id, {
          type: "snapshotChunkRead",
          to,
          snapshotIndex: snapshot.index,
          snapshotTerm: snapshot.term,
          offset,
          data: snapshots.readChunk(snapshot, offset, length),
        });
      }
    }
  }

  /** Makes everything `id` was asked to persist durable now. */
  flushDisk(id: NodeId): void {
    const held = this.heldByDisk.get(id) ?? [];
    this.heldByDisk.delete(id);
    for (const effect of held) this.made(id, effect);
  }

  /** A persist effect became durable: record it, release its messages, tell the node. */
  private made(id: NodeId, effect: PersistEffect): void {
    this.write(id, effect);
    this.queue.push(...effect.then);
    const last = effect.entries.at(-1) ?? effect.snapshot;
    if (last !== undefined)
      this.step(id, { type: "persisted", index: last.index, term: last.term });
  }

  private observe(id: NodeId, effect: Effect): void {
    if (effect.type === "roleChanged" && effect.role === "leader") {
      const other = this.leaderOfTerm.get(effect.term);
      if (other !== undefined && other !== id) {
        throw new Error(`two leaders in term ${effect.term}: ${other} and ${id}`);
      }
      this.leaderOfTerm.set(effect.term, id);
    }
    if (effect.type === "restore") {
      const log = this.applied.get(id)!;
      this.restored.get(id)!.push(effect.snapshot);
      if (effect.snapshot.index < log.length) {
        throw new Error(`${id} restored ${effect.snapshot.index} after applying ${log.length}`);
      }
      while (log.length < effect.snapshot.index) log.push(restoredMarker(log.length + 1));
    }
    if (effect.type === "apply") {
      const log = this.applied.get(id)!;
      for (const entry of effect.entries) {
        // After a restart a node applies its log again from the start: it must be the same.
        const before = log[entry.index - 1];
        if (before !== undefined && before.term === restoredMarkerTerm) continue;
        if (before !== undefined && (before.term !== entry.term || before.kind !== entry.kind)) {
          throw new Error(`${id} re-applied a different entry at ${entry.index}`);
        }
        if (before === undefined && entry.index !== log.length + 1) {
          throw new Error(`${id} applied ${entry.index} out of order`);
        }
        if (before === undefined) log.push(entry);
      }
    }
  }

  tick(id: NodeId, times = 1): void {
    for (let i = 0; i < times; i++) this.step(id, { type: "tick" });
  }

  tickAll(times = 1): void {
    for (let i = 0; i < times; i++) for (const id of this.ids) this.step(id, { type: "tick" });
  }

  /** Delivers the message at `position` in the queue (the oldest by default). */
  deliver(position = 0): Message | undefined {
    const [message] = this.queue.splice(position, 1);
    if (message !== undefined) this.step(message.to, { type: "receive", message });
    return message;
  }

  /** Delivers until the network is quiet, dropping messages that `drop` selects. */
  stabilize(drop: (m: Message) => boolean = () => false, limit = 100_000): void {
    for (let i = 0; i < limit && this.queue.length > 0; i++) {
      const message = this.queue[0]!;
      if (drop(message)) this.queue.shift();
      else this.deliver(0);
    }
  }

  leader(): NodeId | undefined {
    let best: RaftStateInternals | undefined;
    for (const s of this.states.values()) {
      const v = statusOf(s);
      if (v.role === "leader" && (best === undefined || v.term > statusOf(best).term)) best = s;
    }
    return best === undefined ? undefined : statusOf(best).id;
  }

  /** Committed prefixes (as applied) agree on every node. */
  checkCommittedPrefixes(): void {
    const logs = [...this.applied.entries()];
    for (const [idA, a] of logs) {
      for (const [idB, b] of logs) {
        const n = Math.min(a.length, b.length);
        for (let i = 0; i < n; i++) {
          if (a[i]!.term === restoredMarkerTerm || b[i]!.term === restoredMarkerTerm) continue;
          if (a[i]!.term !== b[i]!.term || a[i]!.kind !== b[i]!.kind) {
            throw new Error(`${idA} and ${idB} applied different entries at ${i + 1}`);
          }
        }
      }
    }
  }
}

import { status as statusOf } from "@flotilla/core/runtime";
import { MemorySnapshots } from "../../src/memory-snapshots.js";
import { snapshotEvent } from "../snapshot-event.js";

const restoredMarkerTerm = -1 as Term;

function restoredMarker(index: number): Entry {
  return { kind: "noop", index: index as Index, term: restoredMarkerTerm };
}
