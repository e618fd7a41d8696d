import { SimulationOptionsError } from "./errors.js";
import { partitionPatterns, type SimulationOptions } from "./options.js";

/** The options that are probabilities, each in [0, 1]. */
const probabilityFields = [
  "latencyTailProbability",
  "lossProbability",
  "duplicateProbability",
  "reorderProbability",
  "partitionProbability",
  "healProbability",
  "crashProbability",
  "leaderFaultProbability",
  "transferProbability",
  "membershipProbability",
  "snapshotCrashProbability",
  "corruptionProbability",
  "snapshotReplayProbability",
  "restartProbability",
  "tornWriteProbability",
  "tornGarbageProbability",
  "slowWriteProbability",
  "diskFullProbability",
  "fsyncFailureProbability",
  "amnesiaProbability",
  "readShare",
  "readAnyNodeShare",
  "pauseProbability",
  "slowApplyProbability",
  "clockFaultProbability",
  "timeoutNowFaultProbability",
  "forwardedReadCrashProbability",
] as const;

/** Checks every option; throws `SimulationOptionsError` naming the first bad one. */
export function validateOptions(options: SimulationOptions): SimulationOptions {
  requireInteger("seed", options.seed, Number.MIN_SAFE_INTEGER);
  if (![2, 3, 4, 5, 6, 7].includes(options.nodeCount)) {
    throw new SimulationOptionsError("nodeCount", `must be 2 to 7, got ${options.nodeCount}`);
  }
  requireInteger("steps", options.steps, 1);
  requireInteger("tickMs", options.tickMs, 2);
  requireInteger("electionTimeoutTicks", options.electionTimeoutTicks, 2);
  requireInteger("heartbeatIntervalTicks", options.heartbeatIntervalTicks, 1);
  requireInteger("entriesBytesPerMessageMax", options.entriesBytesPerMessageMax, 1);
  requireInteger("inflightMessagesMax", options.inflightMessagesMax, 1);
  requireInteger("latencyMinMs", options.latencyMinMs, 0);
  requireInteger("latencyMaxMs", options.latencyMaxMs, options.latencyMinMs);
  requireInteger("latencyTailMaxMs", options.latencyTailMaxMs, options.latencyMaxMs);
  requireInteger("diskLatencyMinMs", options.diskLatencyMinMs, 0);
  requireInteger("diskLatencyMaxMs", options.diskLatencyMaxMs, options.diskLatencyMinMs);
  requireInteger("spareNodeCount", options.spareNodeCount, 0);
  if (options.spareNodeCount > 3) {
    throw new SimulationOptionsError(
      "spareNodeCount",
      `must be 0 to 3, got ${options.spareNodeCount}`,
    );
  }
  requireInteger("clientCount", options.clientCount, 1);
  requireInteger("clientThinkMeanMs", options.clientThinkMeanMs, 0);
  requireInteger("keyCount", options.keyCount, 1);
  requireInteger("snapshotEveryEntries", options.snapshotEveryEntries, 0);
  if (!(Number.isFinite(options.snapshotLogRatio) && options.snapshotLogRatio >= 0)) {
    throw new SimulationOptionsError(
      "snapshotLogRatio",
      `must be a number >= 0, got ${options.snapshotLogRatio}`,
    );
  }
  requireInteger("snapshotTrailingEntries", options.snapshotTrailingEntries, 0);
  requireInteger("snapshotChunkBytesMax", options.snapshotChunkBytesMax, 1);
  requireInteger("snapshotPaddingBytes", options.snapshotPaddingBytes, 0);
  requireInteger("segmentBytesMax", options.segmentBytesMax, 4);
  requireInteger("stateMachineDelayMs", options.stateMachineDelayMs, 0);
  requireInteger("operationTimeoutMs", options.operationTimeoutMs, 1);
  requireInteger("livenessBudgetTicks", options.livenessBudgetTicks, 1);
  requireInteger("livenessOperationsPerClient", options.livenessOperationsPerClient, 0);
  requireInteger("pauseMaxMs", options.pauseMaxMs, 1);
  requireInteger("clientStallMs", options.clientStallMs, 0);
  requireInteger("readOnlyClients", options.readOnlyClients, 0);
  requireInteger("readerThinkMeanMs", options.readerThinkMeanMs, 0);
  for (const field of probabilityFields) {
    const value = options[field];
    if (!(value >= 0 && value <= 1)) {
      throw new SimulationOptionsError(field, `must be a probability in [0, 1], got ${value}`);
    }
  }
  if (!(options.clockSkew >= 0 && options.clockSkew < 1)) {
    throw new SimulationOptionsError("clockSkew", `must be in [0, 1), got ${options.clockSkew}`);
  }
  if (options.disk !== "file" && options.disk !== "memory") {
    throw new SimulationOptionsError("disk", `must be file or memory, got ${String(options.disk)}`);
  }
  if (!partitionPatterns.includes(options.partitionPattern)) {
    throw new SimulationOptionsError(
      "partitionPattern",
      `must be one of ${partitionPatterns.join(", ")}, got ${String(options.partitionPattern)}`,
    );
  }
  return Object.freeze({ ...options });
}

function requireInteger(field: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new SimulationOptionsError(field, `must be a safe integer >= ${min}, got ${value}`);
  }
}
