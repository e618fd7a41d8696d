// Outbound: one encoded message in, the datagrams that carry it out. Pure apart from the random
// incarnation and nonces: no socket, no clock.
import { randomBytes } from "node:crypto";
import { uninitializedBytes } from "./bytes.js";
import {
  encryptionOverheadBytes,
  fragmentCountMax,
  frameBytes,
  headerFixedBytes,
  sealFrameInto,
  tagBytes,
} from "./frame.js";
import type { Keyring } from "./keys.js";

export type OutboundOptions = {
  readonly self: string;
  readonly keyring: Keyring;
  readonly encrypt: boolean;
  /** The largest datagram we send, header and tag included. */
  readonly maxDatagramBytes: number;
  /** The high word of every message id; random per process so a restart never reuses ids. */
  readonly incarnation?: number;
};

export type Outbound = {
  /**
   * The datagrams carrying `payload`, or null if it needs more fragments than a frame can count.
   * They are views side by side in one buffer of their own: one allocation per message, not one
   * per datagram (a 256 KiB snapshot chunk is ~220 datagrams, issue 11).
   */
  frame(payload: Uint8Array): Uint8Array[] | null;
  /** Payload bytes per datagram: messages up to this size travel unfragmented. */
  readonly fragmentBytes: number;
};

/** The header, tag and cipher overhead of one datagram from `self`. */
export function overheadBytes(self: string, encrypt: boolean): number {
  const sender = new TextEncoder().encode(self).length;
  return headerFixedBytes + sender + tagBytes + (encrypt ? encryptionOverheadBytes : 0);
}

export function createOutbound(options: OutboundOptions): Outbound {
  const { self, keyring, encrypt } = options;
  const fragmentBytes = options.maxDatagramBytes - overheadBytes(self, encrypt);
  if (fragmentBytes < 1) throw new RangeError("maxDatagramBytes leaves no room for a payload");
  const incarnation = options.incarnation ?? randomBytes(4).readUInt32BE(0);
  const sender = new TextEncoder().encode(self);
  let counter = 0;

  function frame(payload: Uint8Array): Uint8Array[] | null {
    const fragmentCount = Math.max(1, Math.ceil(payload.length / fragmentBytes));
    if (fragmentCount > fragmentCountMax) return null;
    const messageIdLow = counter;
    counter = (counter + 1) >>> 0;
    const key = keyring.send;
    const lastBytes = payload.length - (fragmentCount - 1) * fragmentBytes;
    const fullFrame = frameBytes(sender.length, fragmentBytes, encrypt);
    const lastFrame = frameBytes(sender.length, lastBytes, encrypt);
    const out = uninitializedBytes((fragmentCount - 1) * fullFrame + lastFrame);
    const datagrams: Uint8Array[] = [];
    for (let fragmentIndex = 0; fragmentIndex < fragmentCount; fragmentIndex += 1) {
      const start = fragmentIndex * fragmentBytes;
      const header = {
        encrypted: encrypt,
        clusterId: key.clusterId,
        keyId: key.id,
        sender: self,
        messageIdHigh: incarnation,
        messageIdLow,
        fragmentIndex,
        fragmentCount,
      };
      const fragment = payload.subarray(start, start + fragmentBytes);
      const at = fragmentIndex * fullFrame;
      const datagram = out.subarray(
        at,
        at + (fragmentIndex < fragmentCount - 1 ? fullFrame : lastFrame),
      );
      sealFrameInto(datagram, header, sender, fragment, key.macKey, key.cipherKey);
      datagrams.push(datagram);
    }
    return datagrams;
  }

  return { frame, fragmentBytes };
}
