// Builds the pure outbound/inbound pair for tests: no socket, time passed explicitly.
import { createInbound, type Inbound, type SourceAddress } from "../src/inbound.js";
import { createKeyring, type KeyInput, type Keyring } from "../src/keys.js";
import { createOutbound, type Outbound } from "../src/outbound.js";
import type { ReassemblyLimits } from "../src/reassembly.js";
import { type Counters, createCounters } from "../src/stats.js";

export const secretA = "cluster secret A: 0123456789abcdef";
export const secretB = "cluster secret B: fedcba9876543210";

export const addressOf: Record<string, SourceAddress> = {
  a: { address: "127.0.0.1", port: 7001 },
  b: { address: "127.0.0.1", port: 7002 },
  c: { address: "127.0.0.1", port: 7003 },
};

export const roomyLimits: ReassemblyLimits = {
  bytesMax: 16 * 1024 * 1024,
  messagesMax: 10_000,
  timeoutMs: 1_000,
};

export function sender(
  self: string,
  keyring: Keyring,
  options: { encrypt?: boolean; maxDatagramBytes?: number } = {},
): Outbound {
  return createOutbound({
    self,
    keyring,
    encrypt: options.encrypt ?? false,
    maxDatagramBytes: options.maxDatagramBytes ?? 1232,
  });
}

export function receiver(
  keyring: Keyring,
  limits: ReassemblyLimits = roomyLimits,
): { inbound: Inbound; counters: Counters } {
  const counters = createCounters();
  const peers = new Map(Object.entries(addressOf));
  return { inbound: createInbound({ keyring, peers, limits, counters }), counters };
}

export function keyring(keys: readonly KeyInput[], clusterName?: string): Keyring {
  return createKeyring(keys, clusterName);
}

/** The drop counters that are not zero, for compact assertions. */
export function nonZero(record: Readonly<Record<string, number>>): Record<string, number> {
  return Object.fromEntries(Object.entries(record).filter(([, count]) => count !== 0));
}
