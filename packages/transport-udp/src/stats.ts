// Counters for everything the transport drops. Remote input never throws (DESIGN.md, errors.ts):
// a bad datagram is dropped and counted here by reason, so an operator can tell a forgery attempt
// (badTag) from a misconfigured peer (foreignCluster, wrongAddress) from plain loss (timedOut).

/** Why an inbound datagram, or the message it was part of, never reached the handlers. */
export type InboundDropReason =
  /** Shorter than a header and tag, or a length field points past the end. */
  | "truncated"
  /** Not a Flotilla frame at all (wrong magic). */
  | "badMagic"
  /** A frame version this build does not speak. */
  | "unsupportedVersion"
  /** Reserved flag bits set, an empty or non-UTF-8 sender id, or inconsistent fragment fields. */
  | "malformed"
  /** The cluster id is not ours: another cluster sharing the network, or a removed key. */
  | "foreignCluster"
  /** The key id names no key we accept. */
  | "unknownKey"
  /** The claimed sender is not one of our configured peers. */
  | "unknownSender"
  /** The datagram came from an address other than the claimed sender's configured one. */
  | "wrongAddress"
  /** The HMAC tag does not match: forged or corrupted. */
  | "badTag"
  /** AES-256-GCM refused the payload (only reachable if the HMAC key leaked without the other). */
  | "decryptFailed"
  /** Reassembled bytes the wire codec rejected (DecodeError). */
  | "undecodable"
  /** The message names a sender other than the authenticated frame's. */
  | "senderMismatch"
  /** The message is addressed to another node. */
  | "wrongRecipient"
  /** A fragmented message larger than the whole reassembly byte budget. */
  | "tooLarge"
  /** An incomplete message evicted to keep reassembly within its byte or count budget. */
  | "evicted"
  /** An incomplete message whose missing fragments did not arrive in time. */
  | "timedOut";

/** Why an outbound message was not handed to the socket (or the OS refused it). */
export type OutboundDropReason =
  /** No configured address for the recipient. */
  | "unknownPeer"
  /** The socket's send queue was over its bound: drop rather than queue without limit. */
  | "sendQueueFull"
  /** Needs more fragments than the frame's 16-bit fragment count can number. */
  | "tooLarge"
  /** The OS reported an error for a datagram of the message. */
  | "sendError"
  /** `send` after `close()`. */
  | "closed";

export const inboundDropReasons = [
  "truncated",
  "badMagic",
  "unsupportedVersion",
  "malformed",
  "foreignCluster",
  "unknownKey",
  "unknownSender",
  "wrongAddress",
  "badTag",
  "decryptFailed",
  "undecodable",
  "senderMismatch",
  "wrongRecipient",
  "tooLarge",
  "evicted",
  "timedOut",
] as const satisfies readonly InboundDropReason[];

export const outboundDropReasons = [
  "unknownPeer",
  "sendQueueFull",
  "tooLarge",
  "sendError",
  "closed",
] as const satisfies readonly OutboundDropReason[];

/** A snapshot of the transport's counters (`stats()`); every count is since creation. */
export type UdpTransportStats = {
  readonly sent: { readonly messages: number; readonly datagrams: number; readonly bytes: number };
  readonly received: {
    readonly messages: number;
    readonly datagrams: number;
    readonly bytes: number;
  };
  /** Inbound datagrams (or incomplete messages) dropped, by reason. */
  readonly dropped: Readonly<Record<InboundDropReason, number>>;
  /** Outbound messages dropped (or datagrams the OS refused), by reason. */
  readonly sendDropped: Readonly<Record<OutboundDropReason, number>>;
  readonly reassembly: {
    /** Incomplete messages held right now, and the fragment bytes they hold. */
    readonly pendingMessages: number;
    readonly pendingBytes: number;
    /** Fragments received twice for a message still being reassembled (ignored). */
    readonly duplicateFragments: number;
  };
  /** Event-loop iterations spent busy polling (`busyPollUs`): the CPU it costs, in turns. */
  readonly busyPollTurns: number;
  /** Outbound datagrams dropped on purpose by fault injection (`dropProbability`). */
  readonly injectedDrops: number;
};

/** The mutable counters the layers share; `snapshotStats` copies them out. */
export type Counters = {
  sentMessages: number;
  sentDatagrams: number;
  sentBytes: number;
  receivedMessages: number;
  receivedDatagrams: number;
  receivedBytes: number;
  duplicateFragments: number;
  injectedDrops: number;
  readonly dropped: Record<InboundDropReason, number>;
  readonly sendDropped: Record<OutboundDropReason, number>;
};

export function createCounters(): Counters {
  return {
    sentMessages: 0,
    sentDatagrams: 0,
    sentBytes: 0,
    receivedMessages: 0,
    receivedDatagrams: 0,
    receivedBytes: 0,
    duplicateFragments: 0,
    injectedDrops: 0,
    dropped: zeroes(inboundDropReasons),
    sendDropped: zeroes(outboundDropReasons),
  };
}

export function snapshotStats(
  counters: Counters,
  pending: { readonly messages: number; readonly bytes: number },
  busyPollTurns = 0,
): UdpTransportStats {
  return {
    sent: {
      messages: counters.sentMessages,
      datagrams: counters.sentDatagrams,
      bytes: counters.sentBytes,
    },
    received: {
      messages: counters.receivedMessages,
      datagrams: counters.receivedDatagrams,
      bytes: counters.receivedBytes,
    },
    dropped: { ...counters.dropped },
    sendDropped: { ...counters.sendDropped },
    reassembly: {
      pendingMessages: pending.messages,
      pendingBytes: pending.bytes,
      duplicateFragments: counters.duplicateFragments,
    },
    busyPollTurns,
    injectedDrops: counters.injectedDrops,
  };
}

function zeroes<K extends string>(keys: readonly K[]): Record<K, number> {
  const record = {} as Record<K, number>;
  for (const key of keys) record[key] = 0;
  return record;
}
