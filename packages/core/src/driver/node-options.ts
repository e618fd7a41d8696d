// Validation of the driver's own options; the core's part of NodeOptions goes to validateConfig.

import { type Config, validateConfig } from "../config.js";
import { ConfigError } from "../errors.js";
import type { SnapshotPolicy } from "./apply-tracker.js";
import { startSeed } from "./start-seed.js";
import type { NodeOptions } from "./types.js";

type DriverTimings = Pick<
  NodeOptions,
  | "tickMs"
  | "proposalTimeoutMs"
  | "snapshotEveryEntries"
  | "snapshotEveryBytes"
  | "snapshotLogRatio"
  | "snapshotLogBytesMin"
>;

/** The `createNode` options that choose when a node takes snapshots. */
export type SnapshotOptions = Pick<
  NodeOptions,
  "snapshotEveryEntries" | "snapshotEveryBytes" | "snapshotLogRatio" | "snapshotLogBytesMin"
>;

/**
 * The driver options a `createNode` call may leave out. With the core's defaults (an election
 * timeout of 10-20 ticks, a heartbeat every tick) a 100 ms tick gives etcd's timings: a heartbeat
 * every 100 ms and a new election 1-2 s after a leader fails. A proposal not committed within
 * 10 s (several elections) rejects with TimeoutError instead of waiting for ever.
 *
 * Snapshots (`snapshotLogRatio`): a quarter of the state's size in log between snapshots writes
 * at most five snapshot bytes per command byte while the state grows (four at a steady size),
 * against a log of up to a quarter of the state kept in memory. A half would write three and keep
 * half; etcd's fixed 100,000 entries (hashicorp/raft's 8,192) write more the larger the state.
 * The 8 MiB floor (`snapshotLogBytesMin`) keeps a small state from snapshotting every few writes
 * and costs a restart at most 8 MiB of log to replay on top of the snapshot. Each snapshot waits
 * a random 70-100% of that threshold (`snapshotStaggerSpread` below), so that the nodes of a
 * cluster do not all write one at the same moment.
 */
export const driverDefaults = {
  tickMs: 100,
  proposalTimeoutMs: 10_000,
  snapshotLogRatio: 0.25,
  snapshotLogBytesMin: 8 * 1024 * 1024,
  snapshotStaggerSpread: 0.3,
} as const;

/**
 * The core's configuration from a node's options (the rest are the driver's own, checked here
 * too): throws a ConfigError for the first invalid option.
 */
export function coreConfigOf(options: NodeOptions<unknown>): Config {
  const {
    transport: _transport,
    storage: _storage,
    stateMachine: _stateMachine,
    tickMs: _tickMs,
    scheduler: _scheduler,
    proposalTimeoutMs: _proposalTimeoutMs,
    snapshotEveryEntries: _everyEntries,
    snapshotEveryBytes: _everyBytes,
    snapshotLogRatio: _logRatio,
    snapshotLogBytesMin: _logBytesMin,
    logger: _logger,
    ...configInput
  } = options;
  const config = validateConfig({ ...configInput, seed: configInput.seed ?? startSeed() });
  validateDriverOptions(options);
  return config;
}

/** Throws a ConfigError for the first driver option that is present but not positive. */
export function validateDriverOptions(options: DriverTimings): void {
  const { tickMs, proposalTimeoutMs, snapshotEveryEntries, snapshotEveryBytes } = options;
  const { snapshotLogRatio, snapshotLogBytesMin } = options;
  if (tickMs !== undefined) requirePositive("tickMs", tickMs);
  if (proposalTimeoutMs !== undefined) requirePositive("proposalTimeoutMs", proposalTimeoutMs);
  if (snapshotEveryEntries !== undefined) {
    requirePositive("snapshotEveryEntries", snapshotEveryEntries);
  }
  if (snapshotEveryBytes !== undefined) requirePositive("snapshotEveryBytes", snapshotEveryBytes);
  if (snapshotLogRatio !== undefined) requirePositive("snapshotLogRatio", snapshotLogRatio);
  if (snapshotLogBytesMin !== undefined) {
    requirePositive("snapshotLogBytesMin", snapshotLogBytesMin);
  }
}

/**
 * The runtime's snapshot policy from the options: the fixed thresholds when either is set, the
 * proportional policy (with its defaults) otherwise, staggered by draws from `seed` (the node's
 * `Config.seed`, one of its own for each start).
 */
export function snapshotPolicyOf(options: SnapshotOptions, seed: number): SnapshotPolicy {
  const { snapshotEveryEntries, snapshotEveryBytes } = options;
  if (snapshotEveryEntries !== undefined || snapshotEveryBytes !== undefined) {
    return { everyEntries: snapshotEveryEntries, everyBytes: snapshotEveryBytes };
  }
  return {
    everyEntries: undefined,
    everyBytes: undefined,
    proportional: {
      logRatio: options.snapshotLogRatio ?? driverDefaults.snapshotLogRatio,
      logBytesMin: options.snapshotLogBytesMin ?? driverDefaults.snapshotLogBytesMin,
      stagger: { spread: driverDefaults.snapshotStaggerSpread, seed },
    },
  };
}

function requirePositive(field: string, value: number): void {
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    throw new ConfigError(field, `expected a positive number, got ${String(value)}`);
  }
}
