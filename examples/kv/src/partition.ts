// Fault injection for tests and benchmarks: a Transport around the real one that drops every
// message to and from the peers it is told to cut, both ways, as a network partition would. Off
// unless the server runs with FLOTILLA_FAULT_INJECTION=1 (then POST /admin/partition sets the
// cut; see http-api.ts). The node sees only silence, exactly as with a cable pulled.

import type { Message, NodeId, Transport } from "@flotilla/core";

export class PartitionableTransport implements Transport {
  readonly #inner: Transport;
  #cut: ReadonlySet<string> = new Set();

  constructor(inner: Transport) {
    this.#inner = inner;
  }

  /** The peers cut off now (none: healed). */
  get cut(): readonly string[] {
    return [...this.#cut];
  }

  /** Cuts this node off from `peers` (and only them); an empty list heals the partition. */
  partition(peers: readonly string[]): void {
    this.#cut = new Set(peers);
  }

  send(to: NodeId, message: Message): void {
    if (!this.#cut.has(to)) this.#inner.send(to, message);
  }

  onMessage(handler: (message: Message) => void): () => void {
    return this.#inner.onMessage((message) => {
      if (!this.#cut.has(message.from)) handler(message);
    });
  }

  close(): Promise<void> {
    return this.#inner.close();
  }
}
