// The keyring: which key signs (and optionally encrypts) what we send, and which keys we accept.
//
// Rotation: operators list several keys; we send with the first and accept every listed one. To
// roll a key, (1) add the new key second on every node, (2) move it first on every node, (3) drop
// the old one. Between steps each node accepts both, so no step needs all nodes at once.
//
// From one secret we derive independent keys with HKDF-SHA-256 (RFC 5869), one per purpose, so the
// MAC key is never also the cipher key and the cluster id reveals nothing about either.
import { createHash, hkdfSync } from "node:crypto";

/** One shared cluster secret, numbered so receivers can pick it out (0-255, on the wire). */
export type KeyInput = { readonly id: number; readonly secret: Uint8Array | string };

export type Key = {
  readonly id: number;
  /** HMAC-SHA-256 key authenticating every datagram. */
  readonly macKey: Uint8Array;
  /** AES-256-GCM key; absent in insecure mode, where there is no secret. */
  readonly cipherKey: Uint8Array | null;
  /** The 8-byte cluster id sent with this key. */
  readonly clusterId: Uint8Array;
};

export type Keyring = {
  /** Signs and encrypts outbound datagrams. */
  readonly send: Key;
  readonly byId: ReadonlyMap<number, Key>;
  /** Cluster ids we accept: one per key when derived, or the single explicit one. */
  readonly clusterIds: readonly Uint8Array[];
};

export const clusterIdBytes = 8;
export const secretBytesMin = 16;

/**
 * Builds a keyring. `clusterName`, when given, fixes the cluster id for every key; otherwise each
 * key derives its own, so two clusters with different secrets recognise each other's datagrams as
 * foreign before spending an HMAC on them.
 */
export function createKeyring(keys: readonly KeyInput[], clusterName?: string): Keyring {
  const explicit = clusterName === undefined ? null : clusterIdFromName(clusterName);
  const derived = keys.map((input) => deriveKey(input, explicit));
  const first = derived[0];
  if (first === undefined) throw new RangeError("a keyring needs at least one key");
  return {
    send: first,
    byId: new Map(derived.map((key) => [key.id, key])),
    clusterIds: explicit === null ? derived.map((key) => key.clusterId) : [explicit],
  };
}

/**
 * The keyring of `insecure: true`: datagrams still carry an HMAC, but under a public all-zero key,
 * so it catches corruption and nothing else. Anyone on the network can forge messages.
 */
export function createInsecureKeyring(clusterName?: string): Keyring {
  const key: Key = {
    id: 0,
    macKey: new Uint8Array(32),
    cipherKey: null,
    clusterId: clusterIdFromName(clusterName ?? "flotilla-insecure"),
  };
  return { send: key, byId: new Map([[0, key]]), clusterIds: [key.clusterId] };
}

export function secretBytes(secret: Uint8Array | string): Uint8Array {
  return typeof secret === "string" ? new TextEncoder().encode(secret) : secret;
}

function deriveKey(input: KeyInput, explicitClusterId: Uint8Array | null): Key {
  const secret = secretBytes(input.secret);
  return {
    id: input.id,
    macKey: hkdf(secret, "flotilla/udp/mac", 32),
    cipherKey: hkdf(secret, "flotilla/udp/aes-256-gcm", 32),
    clusterId: explicitClusterId ?? hkdf(secret, "flotilla/udp/cluster-id", clusterIdBytes),
  };
}

function clusterIdFromName(name: string): Uint8Array {
  const digest = createHash("sha256").update("flotilla/udp/cluster-name\0").update(name).digest();
  return new Uint8Array(digest.subarray(0, clusterIdBytes));
}

function hkdf(secret: Uint8Array, info: string, length: number): Uint8Array {
  return new Uint8Array(hkdfSync("sha256", secret, "flotilla", info, length));
}
