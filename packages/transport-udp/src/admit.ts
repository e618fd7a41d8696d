// The last inbound stage: authenticated, reassembled bytes in, a Message for the core out. The
// frame proved which peer sent the bytes; the message must agree about who sent it and to whom,
// or an authenticated peer could speak for another node.
import { decodeMessage, type Message } from "@flotilla/core";
import type { InboundDropReason } from "./stats.js";

export type Admitted =
  | { readonly kind: "message"; readonly message: Message }
  | { readonly kind: "dropped"; readonly reason: InboundDropReason };

export function admitMessage(payload: Uint8Array, sender: string, self: string): Admitted {
  let message: Message;
  try {
    // The payload is this message's own: a fresh datagram buffer from node:dgram (or a view of
    // one), or the buffer reassembly joined the fragments into. Nothing else holds or reuses it.
    message = decodeMessage(payload, { adopt: true });
  } catch {
    // DecodeError is the expected case; anything else would be a codec bug, and remote bytes
    // must never crash the process either way.
    return { kind: "dropped", reason: "undecodable" };
  }
  if (message.from !== sender) return { kind: "dropped", reason: "senderMismatch" };
  if (message.to !== self) return { kind: "dropped", reason: "wrongRecipient" };
  return { kind: "message", message };
}
