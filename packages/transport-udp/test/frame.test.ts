import { describe, expect, it } from "vitest";
import {
  decryptBody,
  encryptBody,
  type FrameHeader,
  openBody,
  parseFrame,
  sealFrame,
  tagBytes,
  verifyTag,
} from "../src/frame.js";
import { createKeyring } from "../src/keys.js";
import { secretA } from "./layers.js";

const key = createKeyring([{ id: 7, secret: secretA }]).send;
const header: FrameHeader = {
  encrypted: false,
  clusterId: key.clusterId,
  keyId: key.id,
  sender: "nöde-1",
  messageIdHigh: 0xdeadbeef,
  messageIdLow: 42,
  fragmentIndex: 2,
  fragmentCount: 5,
};
const body = Uint8Array.from({ length: 100 }, (_, i) => i);

describe("sealFrame / parseFrame", () => {
  it("round-trips every header field and the body, plain and encrypted", () => {
    for (const encrypted of [false, true]) {
      const datagram = sealFrame({ ...header, encrypted }, body, key.macKey, key.cipherKey);
      const frame = parseFrame(datagram);
      if (typeof frame === "string") throw new Error(`parse failed: ${frame}`);
      expect(frame).toMatchObject({ ...header, encrypted });
      expect(verifyTag(frame, key.macKey)).toBe(true);
      expect(openBody(frame, key.cipherKey)).toEqual(body);
      // Encryption hides the body: the plaintext does not appear in the datagram.
      if (encrypted) expect(Buffer.from(datagram).includes(Buffer.from(body))).toBe(false);
    }
  });

  it("rejects every truncation as truncated or with a failing tag, never throwing", () => {
    const datagram = sealFrame(header, body, key.macKey, null);
    for (let length = 0; length < datagram.length; length += 1) {
      const frame = parseFrame(datagram.subarray(0, length));
      if (typeof frame === "string") {
        expect(["truncated", "malformed"]).toContain(frame);
      } else {
        expect(verifyTag(frame, key.macKey), `length ${length}`).toBe(false);
      }
    }
  });

  it("names what is wrong with a header that is not a frame", () => {
    const datagram = sealFrame(header, body, key.macKey, null);
    const with_ = (offset: number, value: number): Uint8Array => {
      const copy = datagram.slice();
      copy[offset] = value;
      return copy;
    };
    expect(parseFrame(with_(0, 0x00))).toBe("badMagic");
    expect(parseFrame(with_(2, 2))).toBe("unsupportedVersion");
    expect(parseFrame(with_(3, 0x80))).toBe("malformed");
    expect(parseFrame(with_(13, 0))).toBe("malformed");
    expect(parseFrame(new Uint8Array(1))).toBe("truncated");
  });

  it("fails the tag check when any single bit changes", () => {
    const datagram = sealFrame(header, body, key.macKey, null);
    for (let bit = 0; bit < datagram.length * 8; bit += 1) {
      const copy = datagram.slice();
      copy[bit >> 3]! ^= 1 << (bit & 7);
      const frame = parseFrame(copy);
      if (typeof frame !== "string") expect(verifyTag(frame, key.macKey), `bit ${bit}`).toBe(false);
    }
  });

  it("fails the tag check under another key", () => {
    const other = createKeyring([{ id: 7, secret: `${secretA}!` }]).send;
    const frame = parseFrame(sealFrame(header, body, key.macKey, null));
    if (typeof frame === "string") throw new Error(frame);
    expect(verifyTag(frame, other.macKey)).toBe(false);
    expect(frame.tag.length).toBe(tagBytes);
  });
});

describe("AES-256-GCM body", () => {
  const aad = new TextEncoder().encode("header");

  it("round-trips, with a fresh nonce per datagram", () => {
    const one = encryptBody(body, key.cipherKey!, aad);
    const two = encryptBody(body, key.cipherKey!, aad);
    expect(one.subarray(0, 12)).not.toEqual(two.subarray(0, 12));
    expect(decryptBody(one, key.cipherKey!, aad)).toEqual(body);
  });

  it("rejects a tampered ciphertext, nonce, GCM tag or header", () => {
    const sealed = encryptBody(body, key.cipherKey!, aad);
    for (const offset of [0, 11, 12, 50, sealed.length - 1]) {
      const copy = sealed.slice();
      copy[offset]! ^= 0x01;
      expect(decryptBody(copy, key.cipherKey!, aad), `offset ${offset}`).toBeNull();
    }
    expect(decryptBody(sealed, key.cipherKey!, new TextEncoder().encode("Header"))).toBeNull();
    expect(decryptBody(sealed.subarray(0, 20), key.cipherKey!, aad)).toBeNull();
  });
});
