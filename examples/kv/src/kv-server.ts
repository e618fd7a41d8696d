// One server of a key-value cluster: a Flotilla node (createNode) that talks Raft to its peers
// over UDP, keeps its log in files under --data-dir (or in memory), applies commands to the
// server's state machine (server-state.ts: the key-value store and the cluster's address book),
// and serves clients over HTTP (see http-api.ts). server.ts runs one as a process; tests run
// several in one process.
//
// Start-up order matters: storage first (it takes the directory's lock, so a second process on
// the same data fails before binding anything), then the UDP socket, then the node, then HTTP.
// stopServer shuts down in the reverse order; asked to (a signal, not a failure), a leader first
// hands leadership to its most up-to-date follower (hand-over.ts), so the cluster has a new leader
// within a round trip or two instead of an election timeout.

import { mkdir } from "node:fs/promises";
import type { Server } from "node:http";
import { crc32 as zlibCrc32 } from "node:zlib";
import { createNode, type FlotillaNode, MemoryStorage, nodeId, type Storage } from "@flotilla/core";
import { openFileStorage } from "@flotilla/storage-file";
import { createUdpTransport, type UdpTransport } from "@flotilla/transport-udp";
import type { Logger } from "pino";
import { AddressBook, type MemberAddresses } from "./address-book.js";
import { formatHostPort, type HostPort, UsageError } from "./addresses.js";
import { DropLog } from "./drop-log.js";
import { handOverLeadership } from "./hand-over.js";
import { createApiServer } from "./http-api.js";
import { fetchClusterAddresses } from "./join.js";
import { createMetrics } from "./metrics.js";
import { PartitionableTransport } from "./partition.js";
import { createServerLog, nodeLogger } from "./server-log.js";
import type { ServerOptions } from "./server-options.js";
import { type ServerOutput, ServerStateMachine } from "./server-state.js";

/** A started server: what `stopServer` takes down, in the reverse order of start. */
export type RunningServer = {
  readonly node: FlotillaNode<ServerOutput>;
  readonly storage: Storage;
  readonly transport: UdpTransport;
  readonly addresses: AddressBook;
  readonly log: Logger;
  /** Absent until the node has started and the API listens. */
  http: Server | undefined;
  stalls: ReturnType<typeof setInterval> | undefined;
  stopping: Promise<void> | null;
};

/**
 * Starts a server in this process; `onFailure` runs once the node failed (storage or state
 * machine: it logged why) and the server was stopped.
 */
export async function startServer(
  options: ServerOptions,
  onFailure: () => void = () => undefined,
): Promise<RunningServer> {
  const { id } = options;
  const log = createServerLog(id, options.logLevel, options.logFormat);
  const self = options.peers.get(id);
  const apiSelf = options.api.get(id);
  if (self === undefined || apiSelf === undefined) throw new UsageError(`no address for ${id}`);
  const storage = await openStorage(options);
  const addresses = new AddressBook(
    [...options.peers.keys()].map((peer): [string, MemberAddresses] => [
      peer,
      { raft: options.peers.get(peer) as HostPort, api: options.api.get(peer) as HostPort },
    ]),
  );
  let transport: UdpTransport;
  try {
    transport = await openTransport(options, log);
  } catch (error) {
    await storage.close();
    throw error;
  }
  // A member added later (a record in the log or a snapshot, or what a joining node was told):
  // the transport learns where to send to it and whose datagrams to accept.
  addresses.onChange((peer, { raft }) => {
    if (peer === id) return;
    transport.setPeer(peer, formatHostPort(raft)).catch((error: unknown) => {
      log.warn(
        { peer, raft: formatHostPort(raft) },
        `unusable address: ${(error as Error).message}`,
      );
    });
  });
  const state = new ServerStateMachine(addresses);
  // Tests and benchmarks cut a node off its peers through POST /admin/partition (loopback only).
  const partition =
    process.env.FLOTILLA_FAULT_INJECTION === "1"
      ? new PartitionableTransport(transport)
      : undefined;
  const node = createNode<ServerOutput>({
    id: nodeId(id),
    // A joining node takes its configuration from the leader's log or snapshot.
    voters: options.join === null ? [...options.peers.keys()].map(nodeId) : [],
    join: options.join !== null,
    transport: partition ?? transport,
    storage,
    stateMachine: state,
    tickMs: options.tickMs,
    electionTimeoutTicks: options.electionTicks,
    electionJitterTicks: options.electionJitterTicks,
    heartbeatIntervalTicks: options.heartbeatTicks,
    ...(options.snapshotEvery === null ? {} : { snapshotEveryEntries: options.snapshotEvery }),
    ...(options.snapshotLogRatio === null ? {} : { snapshotLogRatio: options.snapshotLogRatio }),
    snapshotTrailingEntries: options.snapshotTrailing,
    proposalTimeoutMs: options.proposalTimeoutMs,
    entryBytesMax: options.entryBytesMax,
    // GET ?consistency=lease (CheckQuorum, which lease reads need, is on by default).
    leaseReads: true,
    // Received snapshots checked natively: the core's JavaScript CRC-32 was a sixth of the
    // restarted follower's CPU in bench growth's 200 MB catch-up.
    crc32: zlibCrc32,
    // No seed: createNode draws one per start (driver/start-seed.ts), as each start needs.
    // Role changes and why, elections, silent peers, lost logs, snapshots, slow writes, failures.
    logger: nodeLogger(log),
  });
  const running: RunningServer = {
    node,
    storage,
    transport,
    addresses,
    log,
    http: undefined,
    stalls: undefined,
    stopping: null,
  };
  node.events.on("error", () => {
    // Storage or the state machine failed: the node stopped itself (and logged why); release the
    // rest.
    stopServer(running, "node failure").finally(onFailure);
  });
  const transportStats = () => transport.stats();
  const metrics = createMetrics(node, transportStats); // before start: it counts every election
  try {
    await node.start();
    if (options.join !== null) await learnCluster(options, node, addresses, log);
    const server = createApiServer({
      node,
      store: state.store,
      addresses,
      proposalTimeoutMs: options.proposalTimeoutMs,
      transportStats,
      ...(partition === undefined ? {} : { partition }),
      metrics,
      log,
    });
    running.http = await listen(server, apiSelf);
  } catch (error) {
    // An API port in use, say: release the data directory's lock and the socket before exiting,
    // so the operator can start again at once and no stale lock file is left behind.
    await stopServer(running, "start failed").catch(() => undefined);
    throw error;
  }
  running.stalls = watchStalls(log, (options.tickMs * options.electionTicks) / 2);
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

/**
 * Stops the server (idempotent): the API, the node, storage, then the socket. With `handOverMs`,
 * a leader first hands leadership over, waiting at most that long.
 */
export function stopServer(running: RunningServer, why: string, handOverMs = 0): Promise<void> {
  running.stopping ??= (async () => {
    running.log.info({ why }, "shutting down");
    // Clients keep being answered meanwhile: refused with TRANSFERRING, then redirected.
    if (handOverMs > 0) await handOverLeadership(running.node, handOverMs, running.log);
    clearInterval(running.stalls);
    running.http?.close();
    running.http?.closeAllConnections();
    await running.node.stop();
    await running.storage.close();
    await running.transport.close();
    running.log.info("stopped");
  })();
  return running.stopping;
}

function openTransport(options: ServerOptions, log: Logger): Promise<UdpTransport> {
  const peerIds = [...options.peers.keys()];
  return createUdpTransport({
    id: options.id,
    listen: options.peers.get(options.id) as HostPort,
    peers: Object.fromEntries([...options.peers].map(([peer, a]) => [peer, formatHostPort(a)])),
    ...(options.key === null ? { insecure: true } : { key: options.key }),
    logger: { warn: (message) => log.warn(message) },
    onDrop: new DropLog((line) => log.warn(line)).report,
    dropProbability: options.loss,
    dropSeed: (options.lossSeed + peerIds.indexOf(options.id)) >>> 0,
    ...(options.maxDatagramBytes === null ? {} : { maxDatagramBytes: options.maxDatagramBytes }),
  });
}

/**
 * Join mode: seeds the address book from a member's answer. A node that holds nothing yet cannot
 * do without it (it would drop the leader's datagrams); a restarted one rebuilds the book from its
 * own snapshot and log, so for it an unreachable member is only a warning.
 */
async function learnCluster(
  options: ServerOptions,
  node: FlotillaNode<ServerOutput>,
  addresses: AddressBook,
  log: Logger,
): Promise<void> {
  const answer = await fetchClusterAddresses(options.join ?? [], 30_000);
  const { lastLogIndex, snapshotIndex } = node.status();
  const targets = (options.join ?? []).map(formatHostPort).join(", ");
  if (answer === null && lastLogIndex === 0 && snapshotIndex === 0) {
    throw new Error(`no member answered at ${targets} (GET /members) within 30 s`);
  }
  if (answer === null) {
    log.warn({ join: targets }, "no member answered; using this node's own log");
    return;
  }
  for (const member of answer.members) {
    if (member.id !== options.id) addresses.seed(member.id, member.addresses);
  }
  const { membership } = node.status();
  const waiting = membership.voters.length === 0 && membership.learners.length === 0;
  log.info(
    { from: answer.from, nodes: answer.members.map((m) => m.id) },
    waiting
      ? `learned the cluster's addresses; waiting to be added (kv member add ${options.id} ...)`
      : "learned the cluster's addresses",
  );
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
function watchStalls(log: Logger, thresholdMs: number): ReturnType<typeof setInterval> {
  const periodMs = 10;
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    const lateMs = now - last - periodMs;
    last = now;
    if (lateMs > thresholdMs) log.warn({ ms: Math.round(lateMs) }, "event loop stalled");
  }, periodMs);
  timer.unref();
  return timer;
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
