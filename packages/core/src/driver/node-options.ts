// Validation of the driver's own options; the core's part of NodeOptions goes to validateConfig.

import { ConfigError } from "../errors.js";
import type { NodeOptions } from "./types.js";

type DriverTimings = Pick<
  NodeOptions,
  "tickMs" | "proposalTimeoutMs" | "snapshotEveryEntries" | "snapshotEveryBytes"
>;

/**
 * The driver options a `createNode` call may leave out. With the core's defaults (an election
 * timeout of 10-20 ticks, a heartbeat every tick) a 100 ms tick gives etcd's timings: a heartbeat
 * every 100 ms and a new election 1-2 s after a leader fails. A proposal not committed within
 * 10 s (several elections) rejects with TimeoutError instead of waiting for ever.
 */
export const driverDefaults = {
  tickMs: 100,
  proposalTimeoutMs: 10_000,
} as const;

/** Throws a ConfigError for the first driver option that is present but not positive. */
export function validateDriverOptions(options: DriverTimings): void {
  const { tickMs, proposalTimeoutMs, snapshotEveryEntries, snapshotEveryBytes } = options;
  if (tickMs !== undefined) requirePositive("tickMs", tickMs);
  if (proposalTimeoutMs !== undefined) requirePositive("proposalTimeoutMs", proposalTimeoutMs);
  if (snapshotEveryEntries !== undefined) {
    requirePositive("snapshotEveryEntries", snapshotEveryEntries);
  }
  if (snapshotEveryBytes !== undefined) requirePositive("snapshotEveryBytes", snapshotEveryBytes);
}

function requirePositive(field: string, value: number): void {
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    throw new ConfigError(field, `expected a positive number, got ${String(value)}`);
  }
}
