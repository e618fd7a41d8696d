import type { SimulationOverrides } from "./options.js";

// The flags of `pnpm sim` that override a derived option, and the option each sets. One table
// for the CLI and for anything else that takes a pasted `pnpm sim` command line (the browser
// playground's replay), so both read the same command the same way.

/** Each `pnpm sim` override flag (without `--`) and the `SimulationOverrides` field it sets. */
export const simFlags = {
  nodes: "nodeCount",
  loss: "lossProbability",
  duplicate: "duplicateProbability",
  reorder: "reorderProbability",
  partition: "partitionPattern",
  "partition-rate": "partitionProbability",
  "heal-rate": "healProbability",
  "crash-rate": "crashProbability",
  "leader-fault-rate": "leaderFaultProbability",
  "restart-rate": "restartProbability",
  "membership-rate": "membershipProbability",
  "spare-nodes": "spareNodeCount",
  "snapshot-crash-rate": "snapshotCrashProbability",
  "snapshot-padding": "snapshotPaddingBytes",
  "corruption-rate": "corruptionProbability",
  "state-machine-delay": "stateMachineDelayMs",
  "snapshot-log-ratio": "snapshotLogRatio",
  "torn-write": "tornWriteProbability",
  "slow-write": "slowWriteProbability",
  "disk-full-rate": "diskFullProbability",
  "fsync-failure": "fsyncFailureProbability",
  "clock-skew": "clockSkew",
  "latency-min": "latencyMinMs",
  "latency-max": "latencyMaxMs",
  "disk-latency-min": "diskLatencyMinMs",
  "disk-latency-max": "diskLatencyMaxMs",
  clients: "clientCount",
  "think-ms": "clientThinkMeanMs",
  keys: "keyCount",
  "election-timeout": "electionTimeoutTicks",
  disk: "disk",
  amnesia: "amnesiaProbability",
  "read-share": "readShare",
  "transfer-rate": "transferProbability",
  "pause-rate": "pauseProbability",
  "pause-max-ms": "pauseMaxMs",
  "clock-fault-rate": "clockFaultProbability",
  "timeout-now-fault": "timeoutNowFaultProbability",
  "client-stall-ms": "clientStallMs",
  "read-only-clients": "readOnlyClients",
} as const satisfies Record<string, keyof SimulationOverrides>;
