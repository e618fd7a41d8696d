// An in-process cluster of real driver nodes (real reducer, MemoryStorage kept across restarts)
// over the loopback network, on a virtual clock shared by every node.

import type { FlotillaNode, NodeId, NodeOptions } from "../../src/index.js";
import { createNode, MemoryStorage } from "../../src/index.js";
import { LogMachine, ObservedStorage } from "./fixtures.js";
import { LoopbackNetwork } from "./loopback.js";
import { VirtualClock } from "./virtual-clock.js";

export const tickMs = 10;

type Extra = Partial<
  Omit<NodeOptions<string>, "id" | "voters" | "transport" | "storage" | "stateMachine">
>;

export class TestCluster {
  readonly clock = new VirtualClock();
  readonly network = new LoopbackNetwork();
  readonly ids: readonly NodeId[];
  readonly storages = new Map<NodeId, ObservedStorage>();
  readonly machines = new Map<NodeId, LogMachine>();
  readonly nodes = new Map<NodeId, FlotillaNode<string>>();
  readonly #extra: Extra;
  /** Nodes that start empty, outside the configuration, waiting to be added (`join`). */
  readonly #joining: ReadonlySet<string>;

  constructor(names: readonly string[], extra: Extra = {}, joining: readonly string[] = []) {
    this.ids = names.map((name) => name as NodeId);
    this.#extra = extra;
    this.#joining = new Set(joining);
    for (const id of this.ids) this.storages.set(id, new ObservedStorage(new MemoryStorage()));
  }

  node(id: NodeId): FlotillaNode<string> {
    const node = this.nodes.get(id);
    if (node === undefined) throw new Error(`${id} is not running`);
    return node;
  }

  machine(id: NodeId): LogMachine {
    return this.machines.get(id)!;
  }

  /** Creates (with a fresh state machine: a restarted process) and starts a node. */
  async start(id: NodeId, extra: Extra = {}): Promise<FlotillaNode<string>> {
    const machine = new LogMachine();
    const node = createNode<string>({
      seed: 7,
      ...this.#extra,
      ...extra,
      id,
      voters: this.#joining.has(id) ? [] : this.ids.filter((other) => !this.#joining.has(other)),
      join: this.#joining.has(id),
      tickMs,
      transport: this.network.transport(id),
      storage: this.storages.get(id)!,
      stateMachine: machine,
      scheduler: this.clock,
    });
    this.machines.set(id, machine);
    this.nodes.set(id, node);
    await node.start();
    return node;
  }

  async startAll(): Promise<void> {
    for (const id of this.ids) await this.start(id);
  }

  async stop(id: NodeId): Promise<void> {
    await this.node(id).stop();
    this.nodes.delete(id);
  }

  async stopAll(): Promise<void> {
    for (const id of [...this.nodes.keys()]) await this.stop(id);
  }

  /** The running leader of the highest term, if any. */
  leader(): NodeId | undefined {
    let best: { id: NodeId; term: number } | undefined;
    for (const [id, node] of this.nodes) {
      const s = node.status();
      if (s.role === "leader" && (best === undefined || s.term > best.term))
        best = { id, term: s.term };
    }
    return best?.id;
  }

  /** Advances virtual time tick by tick until `done()` holds; fails after `limitMs`. */
  async until(done: () => boolean, limitMs = 10_000): Promise<void> {
    const startMs = this.clock.nowMs;
    while (!done()) {
      if (this.clock.nowMs - startMs >= limitMs) {
        throw new Error(`condition not reached within ${limitMs} virtual ms`);
      }
      await this.clock.advance(tickMs);
    }
  }

  async electedLeader(): Promise<NodeId> {
    await this.until(() => this.leader() !== undefined);
    return this.leader()!;
  }
}
