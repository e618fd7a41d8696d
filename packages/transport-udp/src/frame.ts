// The datagram frame: one UDP datagram carries one fragment of one encoded Message.
//
//   offset   bytes  field
//   0        2      magic "FD" (0x46 0x44, "Flotilla datagram"): cheap rejection of stray traffic
//   2        1      version (1)
//   3        1      flags: bit 0 = body encrypted with AES-256-GCM; other bits must be zero
//   4        8      cluster id (derived from the key, or from an explicit cluster name)
//   12       1      key id: which of the accepted keys made the tag (key rotation)
//   13       1      n = sender id length in bytes (1-255)
//   14       n      sender node id, UTF-8
//   14+n     4      message id, high word: the sender's incarnation, random at start-up
//   18+n     4      message id, low word: the sender's message counter
//   22+n     2      fragment index (0-based)
//   24+n     2      fragment count (>= 1)
//   26+n     …      body: the fragment's bytes, or when encrypted:
//                     nonce (12, random per datagram) ‖ ciphertext ‖ GCM tag (16),
//                     with the header [0, 26+n) as additional authenticated data
//   end-16   16     HMAC-SHA-256 over [0, end-16), truncated to 16 bytes
//
// All integers are big-endian. The message id is (incarnation, counter) so that a restarted sender
// does not reuse ids whose fragments may still sit in a receiver's reassembly buffer.
//
// Why truncate the tag: 128 bits leave a forger a 2^-128 chance per attempt, far beyond any online
// attack (RFC 2104 §5 and NIST SP 800-107 §5.3.3 allow truncating to half the hash), and the 16
// bytes saved go back into every datagram's payload.
//
// Why encrypt-then-MAC with a GCM tag inside: the HMAC authenticates the whole datagram (header
// included) whether or not it is encrypted, so one code path checks every frame before anything
// else looks at the body; GCM's own tag is the cipher's integrity check and costs 16 bytes.
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from "node:crypto";
import type { InboundDropReason } from "./stats.js";

export const frameMagic0 = 0x46;
export const frameMagic1 = 0x44;
export const frameVersion = 1;
export const flagEncrypted = 0x01;
/** Header bytes besides the sender id. */
export const headerFixedBytes = 26;
export const tagBytes = 16;
export const nonceBytes = 12;
export const gcmTagBytes = 16;
/** What encryption adds to a body. */
export const encryptionOverheadBytes = nonceBytes + gcmTagBytes;
export const senderIdBytesMax = 255;
export const fragmentCountMax = 0xffff;

export type FrameHeader = {
  readonly encrypted: boolean;
  readonly clusterId: Uint8Array;
  readonly keyId: number;
  readonly sender: string;
  readonly messageIdHigh: number;
  readonly messageIdLow: number;
  readonly fragmentIndex: number;
  readonly fragmentCount: number;
};

/** A frame whose fields are parsed but whose tag is NOT yet verified: trust nothing in it. */
export type UnverifiedFrame = FrameHeader & {
  /** The datagram minus the tag: what the tag covers. */
  readonly signed: Uint8Array;
  readonly header: Uint8Array;
  readonly body: Uint8Array;
  readonly tag: Uint8Array;
};

/** The length of a frame from a sender of `senderBytes` carrying `fragmentBytes` bytes. */
export function frameBytes(senderBytes: number, fragmentBytes: number, encrypted: boolean): number {
  const body = fragmentBytes + (encrypted ? encryptionOverheadBytes : 0);
  return headerFixedBytes + senderBytes + body + tagBytes;
}

/** Builds one datagram. `macKey` signs it; `cipherKey`, when `header.encrypted`, encrypts the body. */
export function sealFrame(
  header: FrameHeader,
  fragment: Uint8Array,
  macKey: Uint8Array,
  cipherKey: Uint8Array | null,
): Uint8Array {
  const sender = new TextEncoder().encode(header.sender);
  const out = new Uint8Array(frameBytes(sender.length, fragment.length, header.encrypted));
  sealFrameInto(out, header, sender, fragment, macKey, cipherKey);
  return out;
}

/**
 * Builds one datagram into `out`, which must be exactly `frameBytes` long: the outbound layer
 * lays all the datagrams of a message side by side in one buffer (one allocation per message,
 * not per datagram). `sender` is `header.sender` in UTF-8, encoded once by the caller.
 */
export function sealFrameInto(
  out: Uint8Array,
  header: FrameHeader,
  sender: Uint8Array,
  fragment: Uint8Array,
  macKey: Uint8Array,
  cipherKey: Uint8Array | null,
): void {
  const headerLength = headerFixedBytes + sender.length;
  out[0] = frameMagic0;
  out[1] = frameMagic1;
  out[2] = frameVersion;
  out[3] = header.encrypted ? flagEncrypted : 0;
  out.set(header.clusterId, 4);
  out[12] = header.keyId;
  out[13] = sender.length;
  out.set(sender, 14);
  let at = 14 + sender.length;
  writeUint32(out, at, header.messageIdHigh);
  writeUint32(out, at + 4, header.messageIdLow);
  writeUint16(out, at + 8, header.fragmentIndex);
  writeUint16(out, at + 10, header.fragmentCount);
  at += 12;
  if (header.encrypted) {
    if (cipherKey === null) throw new RangeError("an encrypted frame needs a cipher key");
    out.set(encryptBody(fragment, cipherKey, out.subarray(0, headerLength)), at);
  } else {
    out.set(fragment, at);
  }
  const tagAt = out.length - tagBytes;
  const mac = macOf(out.subarray(0, tagAt), macKey);
  for (let i = 0; i < tagBytes; i += 1) out[tagAt + i] = mac.charCodeAt(i);
}

function writeUint32(out: Uint8Array, at: number, value: number): void {
  out[at] = value >>> 24;
  out[at + 1] = value >>> 16;
  out[at + 2] = value >>> 8;
  out[at + 3] = value;
}

function writeUint16(out: Uint8Array, at: number, value: number): void {
  out[at] = value >>> 8;
  out[at + 1] = value;
}

/** Parses a datagram's fields without trusting them; a reason if it is not even well-formed. */
export function parseFrame(datagram: Uint8Array): UnverifiedFrame | InboundDropReason {
  if (datagram.length < 2 || datagram[0] !== frameMagic0 || datagram[1] !== frameMagic1) {
    return datagram.length < 2 ? "truncated" : "badMagic";
  }
  if (datagram.length < 14) return "truncated";
  if (datagram[2] !== frameVersion) return "unsupportedVersion";
  const flags = datagram[3]!;
  if ((flags & ~flagEncrypted) !== 0) return "malformed";
  const senderLength = datagram[13]!;
  const headerLength = headerFixedBytes + senderLength;
  const encrypted = (flags & flagEncrypted) !== 0;
  const bodyMin = encrypted ? encryptionOverheadBytes : 0;
  if (datagram.length < headerLength + bodyMin + tagBytes) return "truncated";
  if (senderLength === 0) return "malformed";
  const sender = decodeUtf8(datagram.subarray(14, 14 + senderLength));
  if (sender === null) return "malformed";
  const view = new DataView(datagram.buffer, datagram.byteOffset, datagram.byteLength);
  const at = 14 + senderLength;
  const fragmentIndex = view.getUint16(at + 8);
  const fragmentCount = view.getUint16(at + 10);
  if (fragmentCount === 0 || fragmentIndex >= fragmentCount) return "malformed";
  const tagAt = datagram.length - tagBytes;
  return {
    encrypted,
    clusterId: datagram.subarray(4, 12),
    keyId: datagram[12]!,
    sender,
    messageIdHigh: view.getUint32(at),
    messageIdLow: view.getUint32(at + 4),
    fragmentIndex,
    fragmentCount,
    signed: datagram.subarray(0, tagAt),
    header: datagram.subarray(0, headerLength),
    body: datagram.subarray(headerLength, tagAt),
    tag: datagram.subarray(tagAt),
  };
}

/** Constant-time tag check: a forger learns nothing from how long the rejection took. */
export function verifyTag(frame: UnverifiedFrame, macKey: Uint8Array): boolean {
  const mac = macOf(frame.signed, macKey);
  const tag = frame.tag;
  if (tag.length !== tagBytes) return false;
  // Every byte is compared whatever the first difference: no early exit to time.
  let difference = 0;
  for (let i = 0; i < tagBytes; i += 1) difference |= (tag[i] as number) ^ mac.charCodeAt(i);
  return difference === 0;
}

/** The fragment's bytes of a verified frame, decrypting if needed; null if GCM refuses them. */
export function openBody(frame: UnverifiedFrame, cipherKey: Uint8Array | null): Uint8Array | null {
  if (!frame.encrypted) return frame.body;
  if (cipherKey === null) return null;
  return decryptBody(frame.body, cipherKey, frame.header);
}

/** nonce ‖ ciphertext ‖ GCM tag. The nonce is random per datagram, never a counter we could repeat. */
export function encryptBody(plain: Uint8Array, key: Uint8Array, aad: Uint8Array): Uint8Array {
  const nonce = randomBytes(nonceBytes);
  const cipher = createCipheriv("aes-256-gcm", key, nonce, { authTagLength: gcmTagBytes });
  cipher.setAAD(aad);
  const head = cipher.update(plain);
  const tail = cipher.final();
  const out = new Uint8Array(nonceBytes + head.length + tail.length + gcmTagBytes);
  out.set(nonce, 0);
  out.set(head, nonceBytes);
  out.set(tail, nonceBytes + head.length);
  out.set(cipher.getAuthTag(), out.length - gcmTagBytes);
  return out;
}

export function decryptBody(body: Uint8Array, key: Uint8Array, aad: Uint8Array): Uint8Array | null {
  if (body.length < encryptionOverheadBytes) return null;
  const nonce = body.subarray(0, nonceBytes);
  const decipher = createDecipheriv("aes-256-gcm", key, nonce, { authTagLength: gcmTagBytes });
  decipher.setAAD(aad);
  decipher.setAuthTag(body.subarray(body.length - gcmTagBytes));
  try {
    const head = decipher.update(body.subarray(nonceBytes, body.length - gcmTagBytes));
    const tail = decipher.final();
    const out = new Uint8Array(head.length + tail.length);
    out.set(head, 0);
    out.set(tail, head.length);
    return out;
  } catch {
    return null;
  }
}

/**
 * The HMAC-SHA-256 of `bytes` as a string of 32 one-byte characters ("binary": latin1), of which a tag is
 * the first `tagBytes`: a string, not a Buffer, because a Buffer is an ArrayBuffer of its own per
 * datagram, on both sides, and those made the scavenges sweep thousands of ArrayBuffers (issue
 * 11); the digest also returns ~1 µs sooner this way.
 */
function macOf(bytes: Uint8Array, macKey: Uint8Array): string {
  return createHmac("sha256", macKey).update(bytes).digest("binary");
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

function decodeUtf8(bytes: Uint8Array): string | null {
  try {
    return utf8.decode(bytes);
  } catch {
    return null;
  }
}
