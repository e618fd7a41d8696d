import type { NodeId } from "@flotilla/core";
import type { Network } from "@flotilla/transport-memory";
import type { SimulationOptions } from "./options.js";
import type { Trace } from "./trace.js";

/**
 * What every source of faults sees of the simulation (the fault injector, the process faults):
 * the run's options, its network and trace, its nodes as that source acts on them, and the time.
 */
export interface FaultView<Node> {
  readonly options: SimulationOptions;
  readonly network: Network;
  readonly trace: Trace;
  readonly ids: readonly NodeId[];
  readonly nodes: readonly Node[];
  readonly nowMs: number;
}
