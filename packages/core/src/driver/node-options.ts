// Validation of the driver's own options; the core's part of NodeOptions goes to validateConfig.

import { ConfigError } from "../errors.js";
import type { NodeOptions } from "./types.js";

type DriverTimings = Pick<
  NodeOptions,
  "tickMs" | "proposalTimeoutMs" | "snapshotEveryEntries" | "snapshotEveryBytes"
>;

/** Throws a ConfigError for the first driver option that is present but not positive. */
export function validateDriverOptions(options: DriverTimings): void {
  const { tickMs, proposalTimeoutMs, snapshotEveryEntries, snapshotEveryBytes } = options;
  requirePositive("tickMs", tickMs);
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
