// One process of a key-value cluster: a Flotilla node (createNode) that talks Raft to its peers
// over UDP, keeps its log in files under --data-dir (or in memory), applies commands to an in-memory KvStore,
// and serves clients over HTTP (see http-api.ts). Run `kv-server --help` for the options.
//
// Start-up order matters: storage first (it takes the directory's lock, so a second process on
// the same data fails before binding anything), then the UDP socket, then the node, then HTTP.
// SIGTERM and SIGINT shut down in the reverse order; a second signal exits at once.

import { mkdir } from "node:fs/promises";
import type { Server } from "node:http";
import {
  bufferedStateMachine,
  createNode,
  type FlotillaNode,
  MemoryStorage,
  nodeId,
  type Storage,
} from "@flotilla/core";
import type { KvOutput } from "@flotilla/kv-model";
import { openFileStorage } from "@flotilla/storage-file";
import { createUdpTransport, type UdpTransport } from "@flotilla/transport-udp";
import type { Logger } from "pino";
import { formatHostPort, type HostPort, UsageError } from "./addresses.js";
import { DropLog } from "./drop-log.js";
import { createApiServer } from "./http-api.js";
import { KvStore } from "./kv-store.js";
import { createMetrics } from "./metrics.js";
import { PartitionableTransport } from "./partition.js";
import { createServerLog, nodeLogger } from "./server-log.js";
import { parseServerOptions, type ServerOptions, serverUsage } from "./server-options.js";

type Running = {
  readonly node: FlotillaNode<KvOutput>;
  readonly storage: Storage;
  readonly transport: UdpTransport;
  readonly log: Logger;
  /** Absent until the node has started and the API listens. */
  http: Server | undefined;
};

async function start(options: ServerOptions): Promise<Running> {
  const { id } = options;
  const log = createServerLog(id, options.logLevel, options.logFormat);
  const self = options.peers.get(id);
  const apiSelf = options.api.get(id);
  if (self === undefined || apiSelf === undefined) throw new UsageError(`no address for ${id}`);
  const storage = await openStorage(options);
  const peerIds = [...options.peers.keys()];
  const peers = Object.fromEntries(
    [...options.peers].map(([peer, a]) => [peer, formatHostPort(a)]),
  );
  let transport: UdpTransport;
  try {
    transport = await createUdpTransport({
      id,
      listen: self,
      peers,
      ...(options.key === null ? { insecure: true } : { key: options.key }),
      logger: { warn: (message) => log.warn(message) },
      onDrop: new DropLog((line) => log.warn(line)).report,
      dropProbability: options.loss,
      dropSeed: (options.lossSeed + peerIds.indexOf(id)) >>> 0,
      ...(options.maxDatagramBytes === null ? {} : { maxDatagramBytes: options.maxDatagramBytes }),
    });
  } catch (error) {
    await storage.close();
    throw error;
  }
  const store = new KvStore();
  // Tests and benchmarks cut a node off its peers through POST /admin/partition (loopback only).
  const partition =
    process.env.FLOTILLA_FAULT_INJECTION === "1"
      ? new PartitionableTransport(transport)
      : undefined;
  const node = createNode<KvOutput>({
    id: nodeId(id),
    voters: peerIds.map(nodeId),
    transport: partition ?? transport,
    storage,
    stateMachine: bufferedStateMachine(store),
    tickMs: options.tickMs,
    electionTimeoutTicks: options.electionTicks,
    snapshotEveryEntries: options.snapshotEvery,
    snapshotTrailingEntries: options.snapshotTrailing,
    proposalTimeoutMs: options.proposalTimeoutMs,
    entryBytesMax: options.entryBytesMax,
    // Different seeds per process run keep two restarted nodes from timing out in lockstep.
    seed: process.pid,
    // Role changes and why, elections, silent peers, lost logs, snapshots, slow writes, failures.
    logger: nodeLogger(log),
  });
  const running: Running = { node, storage, transport, log, http: undefined };
  node.events.on("error", () => {
    // Storage or the state machine failed: the node stopped itself (and logged why); release the
    // rest and exit.
    shutdown(running, "node failure").finally(() => process.exit(1));
  });
  const transportStats = () => transport.stats();
  const metrics = createMetrics(node, transportStats); // before start: it counts every election
  try {
    await node.start();
    const { api, proposalTimeoutMs } = options;
    const server = createApiServer({
      node,
      store,
      api,
      proposalTimeoutMs,
      transportStats,
      ...(partition === undefined ? {} : { partition }),
      metrics,
    });
    running.http = await listen(server, apiSelf);
  } catch (error) {
    // An API port in use, say: release the data directory's lock and the socket before exiting,
    // so the operator can start again at once and no stale lock file is left behind.
    await shutdown(running, "start failed").catch(() => undefined);
    throw error;
  }
  watchStalls(log, (options.tickMs * options.electionTicks) / 2);
  const status = node.status();
  log.info(
    {
      raft: formatHostPort(self),
      api: `http://${formatHostPort(apiSelf)}`,
      data: options.dataDir ?? "in memory",
      ...(options.loss > 0 ? { datagramLoss: options.loss } : {}),
      lastLogIndex: status.lastLogIndex,
      snapshotIndex: status.snapshotIndex,
    },
    "ready",
  );
  return running;
}

/** File storage takes the directory's lock; memory storage keeps nothing past the process. */
async function openStorage(options: ServerOptions): Promise<Storage> {
  if (options.dataDir === null) return new MemoryStorage();
  await mkdir(options.dataDir, { recursive: true });
  return openFileStorage(options.dataDir);
}

/**
 * Logs every time this process's event loop was held up for more than `thresholdMs` (half the
 * election timeout by default): timers and sockets wait meanwhile, so a stall that long is what
 * precedes a spurious election, and the log says when and how long.
 */
function watchStalls(log: Logger, thresholdMs: number): void {
  const periodMs = 10;
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    const lateMs = now - last - periodMs;
    last = now;
    if (lateMs > thresholdMs) log.warn({ ms: Math.round(lateMs) }, "event loop stalled");
  }, periodMs);
  timer.unref();
}

function listen(http: Server, address: HostPort): Promise<Server> {
  return new Promise<Server>((resolve, reject) => {
    http.once("error", reject);
    http.listen(address.port, address.host, () => {
      http.off("error", reject);
      resolve(http);
    });
  });
}

let stopping: Promise<void> | null = null;

function shutdown(running: Running, why: string): Promise<void> {
  stopping ??= (async () => {
    running.log.info({ why }, "shutting down");
    running.http?.close();
    running.http?.closeAllConnections();
    await running.node.stop();
    await running.storage.close();
    await running.transport.close();
    running.log.info("stopped");
  })();
  return stopping;
}

async function main(): Promise<void> {
  let options: ServerOptions | "help";
  try {
    options = parseServerOptions(process.argv.slice(2), process.env, process.stdout.isTTY === true);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`kv-server: ${error.message}\n\n${serverUsage}`);
    process.exit(2);
  }
  if (options === "help") {
    console.log(serverUsage);
    return;
  }
  let running: Running;
  try {
    running = await start(options);
  } catch (error) {
    console.error(`kv-server ${options.id}: cannot start: ${(error as Error).message}`);
    process.exit(1);
  }
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.on(signal, () => {
      if (stopping !== null) process.exit(130); // a second signal: the operator insists
      shutdown(running, signal).then(
        () => process.exit(process.exitCode ?? 0),
        (error: unknown) => {
          console.error(`kv-server ${options.id}: shutdown failed: ${(error as Error).message}`);
          process.exit(1);
        },
      );
    });
  }
}

await main();
