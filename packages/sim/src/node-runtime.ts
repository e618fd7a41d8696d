import { type ConfigInput, type NodeId, validateConfig } from "@flotilla/core";
import {
  snapshotPolicyOf as createNodeSnapshotPolicy,
  NodeRuntime,
  type RuntimeHooks,
  type RuntimeRules,
  type SnapshotPolicy,
} from "@flotilla/core/runtime";
import type { KvOutput } from "@flotilla/kv-model";
import {
  leaseSettings,
  proportionalSnapshotLogBytesMin,
  type SimulationOptions,
} from "./options.js";
import type { RaftCore } from "./raft-core.js";

/**
 * The node runtime createNode runs (@flotilla/core/runtime), configured from the scenario's
 * options for node `id` of the initial `voters` (a node outside them starts empty, outside the
 * configuration, and waits to be added: `join`): the same config and snapshot policy a server
 * would get.
 */
export function simNodeRuntime<S>(
  core: RaftCore<S>,
  options: SimulationOptions,
  id: NodeId,
  voters: readonly NodeId[],
  seed: number,
  stepped: NonNullable<RuntimeHooks<S>["stepped"]>,
  rules: RuntimeRules | undefined,
): NodeRuntime<S, KvOutput> {
  const config: ConfigInput = {
    id,
    voters,
    join: !voters.includes(id),
    electionTimeoutTicks: options.electionTimeoutTicks,
    heartbeatIntervalTicks: options.heartbeatIntervalTicks,
    preVote: options.preVote,
    checkQuorum: options.checkQuorum,
    entriesBytesPerMessageMax: options.entriesBytesPerMessageMax,
    inflightMessagesMax: options.inflightMessagesMax,
    seed,
    snapshotTrailingEntries: options.snapshotTrailingEntries,
    snapshotChunkBytesMax: options.snapshotChunkBytesMax,
    ...leaseSettings(options),
  };
  return new NodeRuntime<S, KvOutput>(core, validateConfig(config), {
    snapshotPolicy: snapshotPolicyOf(options, seed),
    hooks: { stepped },
    ...(rules === undefined ? {} : { rules }),
  });
}

/**
 * The scenario's snapshot policy: a fixed count of entries, or createNode's own proportional
 * policy (its stagger included: each snapshot waits a share of the threshold drawn from the
 * node's seed), with the simulator's small floor.
 */
function snapshotPolicyOf(options: SimulationOptions, seed: number): SnapshotPolicy {
  if (options.snapshotLogRatio > 0) {
    return createNodeSnapshotPolicy(
      {
        snapshotLogRatio: options.snapshotLogRatio,
        snapshotLogBytesMin: proportionalSnapshotLogBytesMin,
      },
      seed,
    );
  }
  const every = options.snapshotEveryEntries;
  return { everyEntries: every === 0 ? undefined : every, everyBytes: undefined };
}
