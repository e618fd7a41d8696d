import type { Message, MessageType, NodeId } from "@flotilla/core";
import type { LinkOptions } from "./link-options.js";
import type { DropReason } from "./network-stats.js";
import type { Prng } from "./prng.js";

// The types of the simulated network's API, apart from the class itself (network.ts).

/** Optional wire round trip: encode on send, decode on delivery. Default: pass by reference. */
export type MessageCodec = {
  /** Called on send; the bytes travel instead of the object. */
  encode(message: Message): Uint8Array;
  /** Called on delivery; a throw drops the message as `undecodable`. */
  decode(bytes: Uint8Array): Message;
};

type EventBase = {
  /** Virtual time of the event. */
  readonly timeMs: number;
  /** The copy's sequence number (a duplicate has its own), as in `Delivery.seq`. */
  readonly seq: number;
  readonly from: NodeId;
  readonly to: NodeId;
  readonly messageType: MessageType;
};

/** What the network did, for traces; `observer` sees every one. */
export type NetworkEvent =
  | (EventBase & { readonly kind: "sent" | "duplicated"; readonly deliverAtMs: number })
  | (EventBase & { readonly kind: "delivered" })
  | (EventBase & { readonly kind: "dropped"; readonly reason: DropReason });

/** How a `Network` is made: its random stream, link defaults, an optional codec and an observer. */
export type NetworkOptions = {
  /** A seed, or a stream forked from the simulation's root `Prng` (e.g. `root.fork("network")`). */
  readonly random: number | Prng;
  /** Defaults for every link; see `linkDefaults`. */
  readonly link?: Partial<LinkOptions>;
  readonly codec?: MessageCodec;
  /** Sees every send, duplicate, delivery and drop, for traces. Must not call back into the network. */
  readonly observer?: (event: NetworkEvent) => void;
};

/** A message handed to its receiver. `seq` identifies the copy (a duplicate has its own). */
export type Delivery = {
  readonly from: NodeId;
  readonly to: NodeId;
  readonly message: Message;
  readonly sentAtMs: number;
  readonly deliveredAtMs: number;
  readonly seq: number;
};

/** Hooks for the real-time adapter only (see real-time.ts); the simulator never sets them. */
export type ClockHooks = {
  /** The current time in virtual ms; `send` first catches the network up to it. */
  nowMs(): number;
  /** A message was scheduled for `timeMs`. */
  scheduled(timeMs: number): void;
};
