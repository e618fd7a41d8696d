// Telling the operator about dropped inbound datagrams as they happen, with the sender's address.
// The counters in stats() say how many; this says from where, so a node started with the wrong
// cluster key (its datagrams are `foreignCluster` here) or a forger (`badTag`) can be named in the
// logs at once. The hook is called on the socket's receive path: it must be cheap and must not
// throw (a throw is swallowed, so a faulty logger cannot break the transport); rate-limit in it.
import type { InboundDropReason } from "./stats.js";

/** One inbound datagram (or message) the transport dropped, and where it came from. */
export type InboundDrop = {
  readonly reason: InboundDropReason;
  /** The datagram's source address and port, as the socket saw them. */
  readonly address: string;
  readonly port: number;
  /** The node id the datagram claimed, once the frame was readable enough to say (else null). */
  readonly sender: string | null;
};

/** Receives every inbound drop; see `UdpTransportOptions.onDrop`. */
export type DropListener = (drop: InboundDrop) => void;

/** Calls `listener` (when there is one), never letting it throw into the receive path. */
export function reportDrop(listener: DropListener | undefined, drop: InboundDrop): void {
  if (listener === undefined) return;
  try {
    listener(drop);
  } catch {
    // A logger's failure must not become a transport failure; the counters still count the drop.
  }
}

/** A short explanation of a drop reason for a log line, naming the likely cause. */
export function describeDropReason(reason: InboundDropReason): string {
  switch (reason) {
    case "foreignCluster":
      return "another cluster id: a different cluster key (or cluster name), or another cluster";
    case "badTag":
      return "authentication failed (HMAC tag): a wrong key, or a forged or corrupted datagram";
    case "unknownKey":
      return "a key id this node does not accept (a key rotation not yet done here?)";
    case "unknownSender":
      return "a sender id that is not a configured peer";
    case "wrongAddress":
      return "a configured peer's id from an address other than its configured one";
    case "decryptFailed":
      return "decryption failed (encryption on one side only?)";
    case "truncated":
    case "badMagic":
    case "unsupportedVersion":
    case "malformed":
      return "not a Flotilla datagram this version reads";
    case "undecodable":
    case "senderMismatch":
    case "wrongRecipient":
      return "a message that does not decode or is not for this node";
    case "tooLarge":
    case "evicted":
    case "timedOut":
      return "an incomplete fragmented message given up";
    default:
      return reason satisfies never;
  }
}
