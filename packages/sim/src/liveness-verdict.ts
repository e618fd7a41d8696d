// The verdict of the liveness phase (simulator.ts): after the heal, within the budget, a leader
// must be elected, every client must complete its operations, and every node must catch up.

import type { KvClients } from "./kv-clients.js";

/** Where the liveness phase ended, as the verdict needs it. */
export type LivenessEnd = {
  readonly clients: Pick<KvClients, "livenessFailure" | "livenessDone" | "describeProgress">;
  readonly budgetTicks: number;
  /** The step cap, when the phase went past it (events piling up at one instant); else null. */
  readonly storm: number | null;
  readonly hasLeader: boolean;
  /** Why a node lags (cluster-view.ts `laggardOf`), or null when every node caught up. */
  readonly laggard: string | null;
};

/** Why the liveness phase failed, or null when it passed. */
export function livenessVerdict(end: LivenessEnd): string | null {
  const { clients, budgetTicks } = end;
  if (clients.livenessFailure !== null) return clients.livenessFailure;
  if (end.storm !== null)
    return `event storm: over ${end.storm} steps without reaching the deadline`;
  if (!end.hasLeader) return `no leader within ${budgetTicks} ticks of the heal`;
  if (!clients.livenessDone) {
    return `clients did not complete their operations within ${budgetTicks} ticks of the heal: ${clients.describeProgress()}`;
  }
  if (end.laggard !== null) return `${end.laggard} within ${budgetTicks} ticks of the heal`;
  return null;
}
