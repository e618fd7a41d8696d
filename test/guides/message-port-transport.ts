// A complete Transport over MessagePorts (node:worker_threads; a browser's MessageChannel works the
// same way): one port per peer, messages encoded with the core's wire codec, bad input dropped and
// counted. docs/writing-a-transport.md shows this file verbatim; message-port-transport.test.ts
// runs a three-node cluster over it.
import { MessageChannel, type MessagePort } from "node:worker_threads";
import {
  decodeMessage,
  encodeMessage,
  type Message,
  type NodeId,
  type Transport,
} from "@flotilla/core";

/** Why an inbound or outbound message was dropped. */
export type PortDropReason =
  | "unknownPeer"
  | "notBytes"
  | "undecodable"
  | "wrongRecipient"
  | "closed";

export class MessagePortTransport implements Transport {
  readonly dropped: Record<PortDropReason, number> = {
    unknownPeer: 0,
    notBytes: 0,
    undecodable: 0,
    wrongRecipient: 0,
    closed: 0,
  };
  readonly #ports = new Map<NodeId, MessagePort>();
  #handler: ((message: Message) => void) | null = null;
  #closed = false;

  constructor(readonly id: NodeId) {}

  /** Uses `port` for everything to and from `peer`. */
  connect(peer: NodeId, port: MessagePort): void {
    port.on("message", (data: unknown) => this.#receive(data));
    this.#ports.set(peer, port);
  }

  send(to: NodeId, message: Message): void {
    // Never throw, never block: a message that cannot go is dropped (Raft resends what matters).
    if (this.#closed) return void this.dropped.closed++;
    const port = this.#ports.get(to);
    if (port === undefined) return void this.dropped.unknownPeer++;
    // The bytes are copied by postMessage (structured clone); the message object stays ours.
    port.postMessage(encodeMessage(message));
  }

  onMessage(handler: (message: Message) => void): () => void {
    this.#handler = handler;
    return () => {
      if (this.#handler === handler) this.#handler = null;
    };
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#handler = null;
    for (const port of this.#ports.values()) port.close();
    this.#ports.clear();
  }

  #receive(data: unknown): void {
    if (this.#closed) return void this.dropped.closed++;
    // Whatever arrives is remote input: check it, drop and count what is wrong, never throw.
    if (!(data instanceof Uint8Array)) return void this.dropped.notBytes++;
    let message: Message;
    try {
      message = decodeMessage(data); // bounds-checked; throws DecodeError on bad bytes
    } catch {
      return void this.dropped.undecodable++;
    }
    if (message.to !== this.id) return void this.dropped.wrongRecipient++;
    this.#handler?.(message);
  }
}

/** A transport per id, every pair joined by its own MessageChannel. */
export function connectMesh(ids: readonly NodeId[]): Map<NodeId, MessagePortTransport> {
  const transports = new Map(ids.map((id) => [id, new MessagePortTransport(id)]));
  for (const [i, a] of ids.entries()) {
    for (const b of ids.slice(i + 1)) {
      const { port1, port2 } = new MessageChannel();
      transports.get(a)?.connect(b, port1);
      transports.get(b)?.connect(a, port2);
    }
  }
  return transports;
}
