// A test-only network for driver tests inside core (which cannot depend on transport-memory):
// delivery on the next microtask, through the real wire codec (so no node ever shares an object
// with another), with links that can be cut to partition the cluster.

import type { Message, NodeId, Transport } from "../../src/index.js";
import { decodeMessage, encodeMessage } from "../../src/index.js";

export class LoopbackNetwork {
  readonly #handlers = new Map<NodeId, (message: Message) => void>();
  readonly #cut = new Set<string>();
  delivered = 0;

  transport(node: NodeId): Transport {
    return {
      send: (to, message) => this.#send(node, to, message),
      onMessage: (handler) => {
        this.#handlers.set(node, handler);
        return () => {
          if (this.#handlers.get(node) === handler) this.#handlers.delete(node);
        };
      },
      close: async () => {
        this.#handlers.delete(node);
      },
    };
  }

  /** Cuts every link between `node` and the others, both ways. */
  isolate(node: NodeId, others: readonly NodeId[]): void {
    for (const other of others) {
      this.#cut.add(`${node}>${other}`);
      this.#cut.add(`${other}>${node}`);
    }
  }

  /** Cuts the link from `from` to `to` only: `to` still reaches `from`. */
  cut(from: NodeId, to: NodeId): void {
    this.#cut.add(`${from}>${to}`);
  }

  heal(): void {
    this.#cut.clear();
  }

  #send(from: NodeId, to: NodeId, message: Message): void {
    if (this.#cut.has(`${from}>${to}`)) return;
    const bytes = encodeMessage(message);
    queueMicrotask(() => {
      // Checked again at delivery: a partition made while the message was in flight loses it.
      if (this.#cut.has(`${from}>${to}`)) return;
      const handler = this.#handlers.get(to);
      if (handler === undefined) return;
      this.delivered += 1;
      handler(decodeMessage(bytes));
    });
  }
}

/** A transport a test drives by hand: it records what the node sends and injects what it gets. */
export class ProbeTransport implements Transport {
  readonly sent: Message[] = [];
  #handler: ((message: Message) => void) | undefined;

  send(_to: NodeId, message: Message): void {
    this.sent.push(message);
  }

  onMessage(handler: (message: Message) => void): () => void {
    this.#handler = handler;
    return () => {
      this.#handler = undefined;
    };
  }

  async close(): Promise<void> {
    this.#handler = undefined;
  }

  get listening(): boolean {
    return this.#handler !== undefined;
  }

  inject(message: Message): void {
    this.#handler?.(message);
  }
}
