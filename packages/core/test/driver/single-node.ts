import { expect } from "vitest";
import { createNode, type FlotillaNode, type NodeId, type NodeOptions } from "../../src/index.js";
import { LogMachine, ObservedStorage } from "./fixtures.js";
import { ProbeTransport } from "./loopback.js";
import { settle, VirtualClock } from "./virtual-clock.js";

export const a = "a" as NodeId;
export const b = "b" as NodeId;
export const c = "c" as NodeId;
export const tickMs = 10;

/** Options a test may add to the ones `single` passes. */
type Extra = Partial<
  Pick<
    NodeOptions<string>,
    | "logger"
    | "snapshotEveryEntries"
    | "snapshotLogRatio"
    | "snapshotLogBytesMin"
    | "stateMachine"
    | "seed"
  >
>;

/** One node under test; its peers are played by the test through a ProbeTransport. */
export function single(voters: readonly NodeId[] = [a], id: NodeId = a, extra: Extra = {}) {
  const clock = new VirtualClock();
  const transport = new ProbeTransport();
  const storage = new ObservedStorage();
  const machine = new LogMachine();
  const node: FlotillaNode<string> = createNode<string>({
    id,
    voters,
    tickMs,
    transport,
    storage,
    stateMachine: machine,
    scheduler: clock,
    ...extra,
  });
  return { clock, transport, storage, machine, node };
}

export async function singleLeader(extra: Extra = {}) {
  const t = single([a], a, extra);
  await t.node.start();
  t.node.campaign();
  await settle();
  await t.clock.advance(tickMs);
  expect(t.node.status().role).toBe("leader");
  return t;
}
