// Real driver nodes (createNode from @flotilla/core: real reducer, MemoryStorage kept across
// restarts) over the simulated network, with loss, duplication and reordering from a fixed seed.
// One virtual clock drives both the network's deliveries and the nodes' tick timers.

import { setImmediate } from "node:timers";
import {
  type BufferedStateMachine,
  bufferedStateMachine,
  createNode,
  decodeMessage,
  encodeMessage,
  type FlotillaNode,
  type Index,
  MemoryStorage,
  type NodeId,
  nodeId,
  type Scheduler,
} from "@flotilla/core";
import { describe, expect, it } from "vitest";
import { type MemoryTransport, Network } from "../src/index.js";

const seeds = [20_264, 1, 2, 3, 4];
const tickMs = 10;
const ids = ["n1", "n2", "n3"].map(nodeId);
const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** Virtual time shared by the network and every node's timers, advanced 1 ms at a time. */
class NetworkClock implements Scheduler {
  readonly #network: Network;
  #timers = new Map<number, { atMs: number; run: () => void }>();
  #seq = 0;

  constructor(network: Network) {
    this.#network = network;
  }

  setTimeout(callback: () => void, delayMs: number): unknown {
    this.#seq += 1;
    this.#timers.set(this.#seq, { atMs: this.#network.nowMs + delayMs, run: callback });
    return this.#seq;
  }

  clearTimeout(handle: unknown): void {
    this.#timers.delete(handle as number);
  }

  queueMicrotask(callback: () => void): void {
    queueMicrotask(callback);
  }

  async advance(ms: number): Promise<void> {
    for (let k = 0; k < ms; k++) {
      const nowMs = this.#network.nowMs + 1;
      this.#network.run(nowMs);
      await settle();
      // Map iteration follows insertion (= creation) order: deterministic for equal times.
      for (const [handle, timer] of [...this.#timers]) {
        if (timer.atMs > nowMs || !this.#timers.has(handle)) continue;
        this.#timers.delete(handle);
        timer.run();
      }
      await settle();
    }
  }
}

function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

class TextLog implements BufferedStateMachine<string> {
  texts: string[] = [];
  apply(command: Uint8Array, index: Index): string {
    this.texts.push(decoder.decode(command));
    return `${index}:${decoder.decode(command)}`;
  }
  snapshot(): Uint8Array {
    return encoder.encode(JSON.stringify(this.texts));
  }
  restore(data: Uint8Array): void {
    this.texts = JSON.parse(decoder.decode(data)) as string[];
  }
}

class Cluster {
  readonly seed: number;
  readonly network: Network;
  readonly clock: NetworkClock;
  readonly transports: Map<NodeId, MemoryTransport>;
  readonly storages = new Map(ids.map((id) => [id, new MemoryStorage()]));
  readonly machines = new Map<NodeId, TextLog>();
  readonly nodes = new Map<NodeId, FlotillaNode<string>>();

  constructor(seed: number) {
    this.seed = seed;
    this.network = new Network({
      random: seed,
      link: {
        latency: { kind: "uniform", minMs: 1, maxMs: 4 },
        lossProbability: 0.1,
        duplicateProbability: 0.05,
        reorderProbability: 0.05,
      },
      codec: { encode: encodeMessage, decode: decodeMessage },
    });
    this.clock = new NetworkClock(this.network);
    this.transports = new Map(ids.map((id) => [id, this.network.transport(id)]));
  }

  async start(id: NodeId): Promise<void> {
    const machine = new TextLog();
    const node = createNode<string>({
      id,
      voters: ids,
      seed: this.seed,
      tickMs,
      transport: this.transports.get(id)!,
      storage: this.storages.get(id)!,
      stateMachine: bufferedStateMachine(machine),
      scheduler: this.clock,
    });
    node.events.on("error", (error) => {
      throw new Error(`seed ${this.seed}: ${id} failed: ${error.message}`);
    });
    this.machines.set(id, machine);
    this.nodes.set(id, node);
    await node.start();
  }

  async stop(id: NodeId): Promise<void> {
    await this.nodes.get(id)!.stop();
    this.nodes.delete(id);
  }

  leader(): NodeId | undefined {
    return [...this.nodes].find(([, node]) => node.status().role === "leader")?.[0];
  }

  async until(done: () => boolean, what: string, limitMs = 20_000): Promise<void> {
    const startMs = this.network.nowMs;
    while (!done()) {
      if (this.network.nowMs - startMs > limitMs) {
        throw new Error(`seed ${this.seed}: ${what} not reached within ${limitMs} virtual ms`);
      }
      await this.clock.advance(tickMs);
    }
  }

  /**
   * Proposes commands on the current leader until each one committed. Only commands that
   * were definitely rejected (not leader, leadership lost) are proposed again.
   */
  async commit(prefix: string, count: number): Promise<void> {
    // In rounds of 20, so that many messages cross the lossy network.
    for (let from = 0; from < count; from += 20) {
      await this.commitAll(Array.from({ length: 20 }, (_, k) => `${prefix}${from + k}`));
    }
  }

  async commitAll(texts: readonly string[]): Promise<void> {
    let pending = texts;
    while (pending.length > 0) {
      await this.until(() => this.leader() !== undefined, "a leader");
      const node = this.nodes.get(this.leader()!)!;
      const outcomes = await this.settleAll(
        pending.map((text) => node.propose(encoder.encode(text))),
      );
      const retry: string[] = [];
      outcomes.forEach((outcome, k) => {
        const text = pending[k]!;
        if (outcome.status === "fulfilled") {
          expect(outcome.value.endsWith(`:${text}`), `seed ${this.seed}`).toBe(true);
        } else {
          expect(["NOT_LEADER", "LEADERSHIP_LOST"], `seed ${this.seed}`).toContain(
            outcome.reason.code,
          );
          retry.push(text);
        }
      });
      pending = retry;
    }
  }

  async settleAll(promises: Promise<string>[]): Promise<PromiseSettledResult<string>[]> {
    let settled = 0;
    for (const p of promises)
      p.then(
        () => settled++,
        () => settled++,
      );
    await this.until(() => settled === promises.length, "every proposal settled");
    return Promise.allSettled(promises);
  }
}

describe("driver nodes over the simulated network (lossy, duplicating, reordering)", () => {
  it.each(seeds)(
    "commits, survives follower and leader restarts, and converges (seed %i)",
    async (seed) => {
      const cluster = new Cluster(seed);
      for (const id of ids) await cluster.start(id);
      await cluster.commit("a", 300);

      const follower = ids.find((id) => id !== cluster.leader())!;
      await cluster.stop(follower);
      await cluster.commit("b", 100);
      await cluster.start(follower);

      const leader = cluster.leader()!;
      await cluster.stop(leader);
      await cluster.commit("c", 100);
      await cluster.start(leader);
      await cluster.commit("d", 100);

      const reference = cluster.machines.get(cluster.leader()!)!.texts;
      await cluster.until(
        () => ids.every((id) => cluster.machines.get(id)!.texts.length === reference.length),
        "every node applied everything",
      );
      for (const id of ids)
        expect(cluster.machines.get(id)!.texts, `seed ${seed}`).toEqual(reference);
      // Each command committed exactly once: retries happened only after a definite rejection.
      expect(new Set(reference).size, `seed ${seed}`).toBe(reference.length);
      expect(cluster.network.stats().dropped.loss, `seed ${seed}`).toBeGreaterThan(0);
      for (const id of ids) await cluster.stop(id);
    },
  );
});
