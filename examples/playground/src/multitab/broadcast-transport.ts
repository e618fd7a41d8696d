import {
  DecodeError,
  decodeMessage,
  encodeMessage,
  type Message,
  type NodeId,
  type Transport,
} from "@flotilla/core";

// A Flotilla Transport over the browser's BroadcastChannel: every tab of one origin that opens the
// same channel hears every post, so each message travels as its addressee and its bytes (the
// core's wire codec), and a tab keeps only what is addressed to it. This is the whole contract
// of a transport (docs/writing-a-transport.md): `send` never blocks or throws for network reasons;
// inbound bytes that do not decode are dropped and counted, never thrown at the node; losing,
// duplicating or reordering messages is allowed (Raft copes), altering them is not.

type Envelope = { readonly to: string; readonly bytes: Uint8Array };

export class BroadcastTransport implements Transport {
  readonly #self: NodeId;
  readonly #channel: BroadcastChannel;
  #handler: ((message: Message) => void) | null = null;
  /** Posts that were not a well-formed message for this node: dropped, never acted on. */
  dropped = 0;

  constructor(self: NodeId, channelName: string) {
    this.#self = self;
    this.#channel = new BroadcastChannel(channelName);
    this.#channel.onmessage = (event: MessageEvent<unknown>) => this.#receive(event.data);
  }

  send(to: NodeId, message: Message): void {
    const envelope: Envelope = { to, bytes: encodeMessage(message) };
    this.#channel.postMessage(envelope);
  }

  onMessage(handler: (message: Message) => void): () => void {
    this.#handler = handler;
    return () => {
      if (this.#handler === handler) this.#handler = null;
    };
  }

  async close(): Promise<void> {
    this.#handler = null;
    this.#channel.close();
  }

  #receive(data: unknown): void {
    const envelope = data as Partial<Envelope> | null;
    if (envelope?.to !== this.#self) return; // someone else's: not ours to judge
    if (!(envelope.bytes instanceof Uint8Array)) {
      this.dropped++;
      return;
    }
    let message: Message;
    try {
      message = decodeMessage(envelope.bytes);
    } catch (error) {
      if (!(error instanceof DecodeError)) throw error;
      this.dropped++;
      return;
    }
    this.#handler?.(message);
  }
}
