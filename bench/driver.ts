// `pnpm bench driver [--proposals N] [--window W] [--bytes B]`: proposals per second through the
// node driver (createNode: real reducer, group commit, apply, promise settling), in one process,
// with MemoryStorage and the host's real timers. Two shapes: a single-voter node, and 3 nodes
// over an in-process transport that delivers on the next microtask through the wire codec. W
// proposals are kept outstanding at the leader; each that settles is replaced by a new one.
import { parseArgs } from "node:util";
import {
  bufferedStateMachine,
  createNode,
  decodeMessage,
  encodeMessage,
  type FlotillaNode,
  MemoryStorage,
  type Message,
  type NodeId,
  nodeId,
  type Transport,
} from "@flotilla/core";
import { Counter } from "./counter.js";

/** Messages sent by every node of the run in progress. */
const sentMessages = { count: 0 };

function inProcessTransports(ids: readonly NodeId[]): Map<NodeId, Transport> {
  const handlers = new Map<NodeId, (message: Message) => void>();
  return new Map(
    ids.map((id) => [
      id,
      {
        send(to: NodeId, message: Message) {
          sentMessages.count += 1;
          const bytes = encodeMessage(message);
          queueMicrotask(() => handlers.get(to)?.(decodeMessage(bytes)));
        },
        onMessage(handler: (message: Message) => void) {
          handlers.set(id, handler);
          return () => handlers.delete(id);
        },
        async close() {},
      },
    ]),
  );
}

async function run(size: number, proposals: number, window: number, bytes: number) {
  const ids = Array.from({ length: size }, (_, k) => nodeId(`n${k + 1}`));
  const transports = inProcessTransports(ids);
  const storages = ids.map(() => new MemoryStorage());
  const persists = storages.map((storage) => {
    let count = 0;
    const persist = storage.persist.bind(storage);
    storage.persist = (batch) => {
      count += 1;
      return persist(batch);
    };
    return () => count;
  });
  const nodes: FlotillaNode<number>[] = ids.map((id, k) =>
    createNode<number>({
      id,
      voters: ids,
      tickMs: 10,
      transport: transports.get(id)!,
      storage: storages[k]!,
      stateMachine: bufferedStateMachine(new Counter()),
    }),
  );
  for (const node of nodes) await node.start();
  nodes[0]!.campaign();
  while (nodes[0]!.status().role !== "leader") await new Promise((r) => setTimeout(r, 5));
  const leader = nodes[0]!;
  const command = new Uint8Array(bytes);
  const writesBefore = persists[0]!();
  const started = performance.now();
  const cpu = process.cpuUsage();
  const sentBefore = sentMessages.count;
  let submitted = 0;
  await new Promise<void>((resolve, reject) => {
    let settled = 0;
    const submit = () => {
      submitted += 1;
      leader.propose(command).then(() => {
        settled += 1;
        if (submitted < proposals) submit();
        else if (settled === proposals) resolve();
      }, reject);
    };
    for (let k = 0; k < Math.min(window, proposals); k++) submit();
  });
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  const messages = sentMessages.count - sentBefore;
  const writes = persists[0]!() - writesBefore;
  for (const node of nodes) await node.stop();
  return {
    proposalsPerSec: Math.round(proposals / seconds),
    // CPU time of this process: a machine shared with other work distorts it less than wall time.
    proposalsPerCpuSec: Math.round(proposals / ((used.user + used.system) / 1e6)),
    entriesPerWrite: proposals / writes,
    messagesPerProposal: messages / proposals,
  };
}

export async function main(argv: readonly string[]): Promise<void> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      proposals: { type: "string", default: "200000" },
      window: { type: "string", default: "1000" },
      bytes: { type: "string", default: "64" },
    },
  });
  const proposals = Number(values.proposals);
  const window = Number(values.window);
  const bytes = Number(values.bytes);
  const results: Record<string, Awaited<ReturnType<typeof run>>> = {};
  for (const size of [1, 3]) {
    results[`nodes${size}`] = await run(size, proposals, window, bytes);
  }
  console.log(`driver: ${proposals} proposals of ${bytes} B, ${window} outstanding, MemoryStorage`);
  for (const [shape, r] of Object.entries(results)) {
    console.log(
      `  ${shape.padEnd(8)} ${String(r.proposalsPerSec).padStart(9)} proposals/s   ${String(r.proposalsPerCpuSec).padStart(9)} per CPU second   ${r.entriesPerWrite.toFixed(1)} entries per leader write   ${r.messagesPerProposal.toFixed(3)} messages per proposal`,
    );
  }
  console.log(JSON.stringify({ proposals, window, bytes, results }));
}
