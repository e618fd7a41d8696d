import type { Message, NodeId, Transport } from "@flotilla/core";

/** What a transport needs from its network; keeps the two files free of an import cycle. */
export type TransportPort = {
  send(from: NodeId, to: NodeId, message: Message): void;
  detach(node: NodeId): void;
};

/**
 * One node's view of a simulated `Network`, implementing core's `Transport`. Messages reach its
 * handlers only while the network is driven: `network.run(...)` (virtual time, the test decides
 * when) or `startRealTime(network)` (real timers). Create it with `network.transport(node)`.
 */
export class MemoryTransport implements Transport {
  readonly node: NodeId;
  readonly #port: TransportPort;
  #handlers: ((message: Message) => void)[] = [];
  #closed = false;

  constructor(node: NodeId, port: TransportPort) {
    this.node = node;
    this.#port = port;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Never throws for network reasons; after `close` the message is dropped and counted. */
  send(to: NodeId, message: Message): void {
    this.#port.send(this.node, to, message);
  }

  onMessage(handler: (message: Message) => void): () => void {
    this.#handlers = [...this.#handlers, handler];
    return () => {
      this.#handlers = this.#handlers.filter((h) => h !== handler);
    };
  }

  /**
   * Detaches from the network: later sends are dropped as `closed`, and messages on their way here
   * as `noReceiver`.
   */
  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#handlers = [];
      this.#port.detach(this.node);
    }
    return Promise.resolve();
  }

  /** True while at least one handler is registered. */
  get listening(): boolean {
    return this.#handlers.length > 0;
  }

  /** Called by the network's `run`, which has checked `listening`. */
  deliver(message: Message): void {
    for (const handler of this.#handlers) handler(message);
  }
}
