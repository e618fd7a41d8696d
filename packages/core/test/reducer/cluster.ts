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
  init,
  type Message,
  type NodeId,
  nodeId,
  type RaftState,
  type StepResult,
  step,
} from "@flotilla/core";

export type ClusterOptions = Partial<Omit<ConfigInput, "id" | "voters">>;

export class Cluster {
  readonly ids: NodeId[];
  readonly states = new Map<NodeId, RaftState>();
  queue: Message[] = [];
  /** Entries each node was told to apply, in order. */
  readonly applied = new Map<NodeId, Entry[]>();
  readonly leaderOfTerm = new Map<number, NodeId>();
  readonly effects: Array<{ id: NodeId; effect: Effect }> = [];
  /** Nodes whose persist effects are not made durable (their `then` is held back). */
  readonly slowDisk = new Set<NodeId>();
  readonly heldByDisk = new Map<
    NodeId,
    Array<{ messages: readonly Message[]; index: number; term: number }>
  >();

  constructor(size: number, options: ClusterOptions = {}) {
    this.ids = Array.from({ length: size }, (_, i) => nodeId(`n${i + 1}`));
    for (const id of this.ids) {
      this.states.set(id, init({ id, voters: this.ids, ...options }));
      this.applied.set(id, []);
    }
  }

  state(id: NodeId): RaftState {
    return this.states.get(id)!;
  }

  step(id: NodeId, event: Event): StepResult {
    const result = step(this.state(id), event);
    this.states.set(id, result.state);
    this.queue.push(...result.messages);
    for (const effect of result.effects) {
      this.effects.push({ id, effect });
      this.observe(id, effect);
    }
    for (const effect of result.effects) {
      if (effect.type !== "persist") continue;
      const lastEntry = effect.entries.at(-1);
      const index = lastEntry?.index ?? -1;
      const term = lastEntry?.term ?? -1;
      if (this.slowDisk.has(id)) {
        const held = this.heldByDisk.get(id) ?? [];
        held.push({ messages: effect.then, index, term });
        this.heldByDisk.set(id, held);
        continue;
      }
      this.queue.push(...effect.then);
      if (lastEntry !== undefined)
        this.step(id, { type: "persisted", index: lastEntry.index, term: lastEntry.term });
    }
    return result;
  }

  /** Makes everything `id` was asked to persist durable now. */
  flushDisk(id: NodeId): void {
    const held = this.heldByDisk.get(id) ?? [];
    this.heldByDisk.delete(id);
    for (const h of held) {
      this.queue.push(...h.messages);
      if (h.index >= 0)
        this.step(id, { type: "persisted", index: h.index as never, term: h.term as never });
    }
  }

  private observe(id: NodeId, effect: Effect): void {
    if (effect.type === "roleChanged" && effect.role === "leader") {
      const other = this.leaderOfTerm.get(effect.term);
      if (other !== undefined && other !== id) {
        throw new Error(`two leaders in term ${effect.term}: ${other} and ${id}`);
      }
      this.leaderOfTerm.set(effect.term, id);
    }
    if (effect.type === "apply") {
      const log = this.applied.get(id)!;
      for (const entry of effect.entries) {
        if (entry.index !== log.length + 1)
          throw new Error(`${id} applied ${entry.index} out of order`);
        log.push(entry);
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
    let best: RaftState | undefined;
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
          if (a[i]!.term !== b[i]!.term || a[i]!.kind !== b[i]!.kind) {
            throw new Error(`${idA} and ${idB} applied different entries at ${i + 1}`);
          }
        }
      }
    }
  }
}

import { status as statusOf } from "@flotilla/core";
