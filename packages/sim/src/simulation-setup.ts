// What a simulation is made of, from its options: the servers (each with the core under test on
// its own disk) and the clients' settings. simulator.ts wires them to its queues.

import type { NodeId } from "@flotilla/core";
import type { Prng } from "@flotilla/transport-memory";
import type { ClientOptions } from "./kv-client-host.js";
import { type DiskHost, nodeDisk } from "./node-disk.js";
import { leaseSettings, type SimulationOptions } from "./options.js";
import { flotillaCore, type RaftCore } from "./raft-core.js";
import { type NodeHost, SimNode } from "./sim-node.js";
import type { RunOptions } from "./simulation-types.js";

/** The servers `ids`, node `i` on the disk `diskHost(i)` serves (node-disk.ts). */
export function makeSimNodes<S>(
  host: NodeHost,
  ids: readonly NodeId[],
  options: SimulationOptions,
  run: RunOptions<S>,
  root: Prng,
  diskHost: (index: number) => DiskHost,
): SimNode<S>[] {
  const core = (run.core ?? flotillaCore) as RaftCore<S>;
  return ids.map(
    (id, i) =>
      new SimNode<S>(host, core, run.rules, run.shell, id, i, root, () =>
        nodeDisk(options, root, id, diskHost(i), run.fileSystem, run.storageRules),
      ),
  );
}

/** The clients' workload from the options: keys, pace, timeouts and read mix (kv-clients.ts). */
export function clientOptions(options: SimulationOptions): ClientOptions {
  return {
    clientCount: options.clientCount,
    keyCount: options.keyCount,
    thinkMeanMs: options.clientThinkMeanMs,
    latencyMinMs: options.latencyMinMs,
    latencyMaxMs: options.latencyMaxMs,
    operationTimeoutMs: options.operationTimeoutMs,
    retryBackoffMs: options.tickMs,
    readShare: options.readShare,
    readAnyNodeShare: options.readAnyNodeShare,
    leaseReads: leaseSettings(options) !== null,
    stallMs: options.clientStallMs,
    readOnlyClients: options.readOnlyClients,
    readerThinkMeanMs: options.readerThinkMeanMs,
  };
}
