// Inbound: one datagram and the address it came from in, at most one complete payload out.
//
// The checks run cheapest first, and everything before the tag check reads only header fields:
//   1. well-formed frame (magic, version, flags, lengths)        -> truncated / badMagic / ...
//   2. cluster id is one we accept                               -> foreignCluster
//   3. key id names a key we accept                              -> unknownKey
//   4. claimed sender is a configured peer                       -> unknownSender
//   5. the datagram came from that peer's configured address     -> wrongAddress
//   6. HMAC tag, compared in constant time                       -> badTag
//   7. decryption, if the frame is encrypted                     -> decryptFailed
//   8. reassembly                                                -> evicted / timedOut / tooLarge
// Only after step 6 is anything in the body looked at; the wire codec (a later stage) sees only
// authenticated, reassembled bytes. Steps 4-5 before 6 mean an off-path flood from unknown
// addresses costs no HMAC computation. Every drop is counted, none throws.
//
// NB: a captured datagram replayed from the peer's own (spoofed) address passes every check. That
// is by design: Raft tolerates duplicated and delayed messages (§5.1 assumes an unreliable network),
// and a replay can only repeat what the peer said, never say something new.
import { openBody, parseFrame, verifyTag } from "./frame.js";
import type { Keyring } from "./keys.js";
import { createReassembler, type ReassemblyLimits } from "./reassembly.js";
import type { Counters, InboundDropReason } from "./stats.js";

export type SourceAddress = { readonly address: string; readonly port: number };

export type InboundOptions = {
  readonly keyring: Keyring;
  /** Each peer's configured address, in the canonical text form the socket reports. */
  readonly peers: ReadonlyMap<string, SourceAddress>;
  readonly limits: ReassemblyLimits;
  readonly counters: Counters;
};

export type InboundResult =
  | { readonly kind: "complete"; readonly sender: string; readonly payload: Uint8Array }
  | { readonly kind: "partial" }
  | {
      readonly kind: "dropped";
      readonly reason: InboundDropReason;
      /** The sender id the frame claimed, when it could be read. */
      readonly sender: string | null;
    };

export type Inbound = {
  receive(datagram: Uint8Array, source: SourceAddress, nowMs: number): InboundResult;
  sweep(nowMs: number): void;
  readonly pendingMessages: number;
  readonly pendingBytes: number;
};

export function createInbound(options: InboundOptions): Inbound {
  const { keyring, peers, counters } = options;
  const reassembler = createReassembler(options.limits, counters);

  function drop(reason: InboundDropReason, sender: string | null = null): InboundResult {
    counters.dropped[reason] += 1;
    return { kind: "dropped", reason, sender };
  }

  function receive(datagram: Uint8Array, source: SourceAddress, nowMs: number): InboundResult {
    counters.receivedDatagrams += 1;
    counters.receivedBytes += datagram.length;
    const frame = parseFrame(datagram);
    if (typeof frame === "string") return drop(frame);
    if (!keyring.clusterIds.some((id) => bytesEqual(id, frame.clusterId))) {
      return drop("foreignCluster", frame.sender);
    }
    const key = keyring.byId.get(frame.keyId);
    if (key === undefined) return drop("unknownKey", frame.sender);
    const peer = peers.get(frame.sender);
    if (peer === undefined) return drop("unknownSender", frame.sender);
    if (peer.address !== source.address || peer.port !== source.port)
      return drop("wrongAddress", frame.sender);
    if (!verifyTag(frame, key.macKey)) return drop("badTag", frame.sender);
    const fragment = openBody(frame, key.cipherKey);
    if (fragment === null) return drop("decryptFailed", frame.sender);
    const payload = reassembler.add(frame, fragment, nowMs);
    if (payload === null) return { kind: "partial" };
    return { kind: "complete", sender: frame.sender, payload };
  }

  return {
    receive,
    sweep: (nowMs) => reassembler.sweep(nowMs),
    get pendingMessages() {
      return reassembler.pendingMessages;
    },
    get pendingBytes() {
      return reassembler.pendingBytes;
    },
  };
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i += 1) if (a[i] !== b[i]) return false;
  return true;
}
