// The UDP transport: a node:dgram socket wired to the pure layers.
//
//   send:    Message -encodeMessage-> bytes -outbound-> datagrams -> socket (bounded queue)
//   receive: socket -> datagram -inbound (auth, reassembly)-> bytes -admit (decode)-> handlers
//
// Nothing here throws for network reasons and nothing blocks: UDP sends are asynchronous, and when
// the socket's queue is over its bound we drop the message and count it, rather than let a
// slow or dead network grow memory without limit (Raft resends what matters, §5.3).
import { createSocket, type Socket } from "node:dgram";
import { performance } from "node:perf_hooks";
import {
  ConfigError,
  encodeMessage,
  type Message,
  type NodeId,
  type Transport,
} from "@flotilla/core";
import { literalLookup, resolveHost } from "./address.js";
import { admitMessage } from "./admit.js";
import { createBusyPoller } from "./busy-poll.js";
import { type DropListener, reportDrop } from "./drop-report.js";
import { createInbound, type SourceAddress } from "./inbound.js";
import { createInsecureKeyring, createKeyring } from "./keys.js";
import { createDropper } from "./loss.js";
import {
  type CheckedOptions,
  checkOptions,
  checkPeer,
  type UdpLogger,
  type UdpTransportOptions,
} from "./options.js";
import { createOutbound } from "./outbound.js";
import {
  type Counters,
  createCounters,
  type OutboundDropReason,
  snapshotStats,
  type UdpTransportStats,
} from "./stats.js";

/** A bound socket address: host, port, and IP family. */
export type UdpAddress = { readonly host: string; readonly port: number; readonly family: 4 | 6 };

/** A `Transport` over a UDP socket, with its counters and its bound address. */
export type UdpTransport = Transport & {
  /** Counters since creation: traffic, and every drop by reason. */
  stats(): UdpTransportStats;
  /** The bound address (with the real port when `listen.port` was 0). */
  address(): UdpAddress;
  /**
   * Adds peer `id` at "host:port", or moves it there: a member added to the cluster after the
   * transport was created (its datagrams were dropped as `unknownSender` until now). Rejects
   * with ConfigError for a bad id or address, or a host of the other IP family.
   */
  setPeer(id: string, address: string): Promise<void>;
};

const defaultLogger: UdpLogger = { warn: (message) => console.warn(message) };

/** Binds a socket and returns the transport; rejects with ConfigError for bad options. */
export async function createUdpTransport(options: UdpTransportOptions): Promise<UdpTransport> {
  const checked = checkOptions(options);
  const listen = await resolveHost(checked.listen.host);
  const peers = new Map<string, SourceAddress>();
  /** Resolves a peer's host in the socket's family; ConfigError when it has only the other one. */
  const resolvePeer = async (peer: CheckedOptions["peers"][number]): Promise<SourceAddress> => {
    const resolved = await resolveHost(peer.host, listen.family);
    if (resolved.family !== listen.family) {
      throw new ConfigError(
        `peers.${peer.id}`,
        `is IPv${resolved.family} but listen is IPv${listen.family}`,
      );
    }
    return { address: resolved.address, port: peer.port };
  };
  for (const peer of checked.peers) peers.set(peer.id, await resolvePeer(peer));
  const keyring = checked.insecure
    ? createInsecureKeyring(checked.clusterName)
    : createKeyring(checked.keys, checked.clusterName);
  if (checked.insecure) {
    (options.logger ?? defaultLogger).warn(
      `flotilla udp transport ${checked.id}: insecure mode, datagrams are not authenticated; ` +
        "anyone who can reach this port can forge Raft messages",
    );
  }
  const socket = createSocket({
    type: listen.family === 6 ? "udp6" : "udp4",
    ...(listen.family === 6 ? { ipv6Only: true } : {}),
    lookup: literalLookup,
    recvBufferSize: checked.socketBufferBytes,
    sendBufferSize: checked.socketBufferBytes,
  });
  await bind(socket, listen.address, checked.listen.port);
  const now = options.now ?? (() => performance.now());
  const counters = createCounters();
  const outbound = createOutbound({
    self: checked.id,
    keyring,
    encrypt: checked.encrypt,
    maxDatagramBytes: checked.maxDatagramBytes,
  });
  const inbound = createInbound({
    keyring,
    peers,
    counters,
    limits: {
      bytesMax: checked.reassemblyBytesMax,
      messagesMax: checked.reassemblyMessagesMax,
      timeoutMs: checked.reassemblyTimeoutMs,
    },
  });
  const onDrop = options.onDrop;
  const transport = wire({
    socket,
    self: checked.id,
    peers,
    counters,
    outbound,
    inbound,
    now,
    checked,
    onDrop,
  });
  return {
    ...transport,
    async setPeer(id, address) {
      const peer = checkPeer(id, address);
      if (id === checked.id) throw new ConfigError(`peers.${id}`, "is this transport's own id");
      peers.set(id, await resolvePeer(peer));
    },
  };
}

type Wiring = {
  readonly socket: Socket;
  readonly self: string;
  readonly peers: ReadonlyMap<string, SourceAddress>;
  readonly counters: Counters;
  readonly outbound: ReturnType<typeof createOutbound>;
  readonly inbound: ReturnType<typeof createInbound>;
  readonly now: () => number;
  readonly checked: ReturnType<typeof checkOptions>;
  readonly onDrop: DropListener | undefined;
};

function wire(w: Wiring): Omit<UdpTransport, "setPeer"> {
  const { socket, self, peers, counters, outbound, inbound, now, checked, onDrop } = w;
  const handlers = new Set<(message: Message) => void>();
  let closing: Promise<void> | null = null;
  const poller = createBusyPoller(checked.busyPollUs, now);
  const shouldDrop = createDropper(checked.dropProbability, checked.dropSeed);

  // Datagrams handed to node:dgram whose callback has not fired yet: a superset of the socket's
  // own queue (getSendQueueCount). The send itself happens at once (see literalLookup), but its
  // callback runs on a later tick, so a burst of sends in one job counts against the bound even
  // when the kernel took every datagram.
  let queuedDatagrams = 0;
  let queuedBytes = 0;
  // Errors the socket reports outside a send callback; a listener must exist or Node would throw.
  socket.on("error", () => {
    counters.sendDropped.sendError += 1;
  });
  socket.on("message", (datagram, rinfo) => {
    const result = inbound.receive(datagram, rinfo, now());
    if (result.kind === "dropped") {
      const { reason, sender } = result;
      reportDrop(onDrop, { reason, address: rinfo.address, port: rinfo.port, sender });
    }
    if (result.kind !== "complete") return;
    const admitted = admitMessage(result.payload, result.sender, self);
    if (admitted.kind === "dropped") {
      counters.dropped[admitted.reason] += 1;
      const { address, port } = rinfo;
      reportDrop(onDrop, { reason: admitted.reason, address, port, sender: result.sender });
      return;
    }
    counters.receivedMessages += 1;
    for (const handler of handlers) handler(admitted.message);
    poller.touch();
  });
  // Incomplete messages also expire on the next fragment that arrives; this coarse timer only
  // frees memory when traffic stops. unref(): it must never keep the process alive.
  const sweepTimer = setInterval(
    () => inbound.sweep(now()),
    Math.max(10, Math.floor(checked.reassemblyTimeoutMs / 2)),
  );
  sweepTimer.unref();

  /** Where a message to `to` goes now, or why it cannot go. */
  function route(to: NodeId): SourceAddress | OutboundDropReason {
    if (closing !== null) return "closed";
    const peer = peers.get(to);
    if (peer === undefined) return "unknownPeer";
    const queueFull =
      Math.max(queuedBytes, socket.getSendQueueSize()) > checked.sendQueueBytesMax ||
      Math.max(queuedDatagrams, socket.getSendQueueCount()) > checked.sendQueueCountMax;
    return queueFull ? "sendQueueFull" : peer;
  }

  function send(to: NodeId, message: Message): void {
    const peer = route(to);
    const datagrams = typeof peer === "string" ? null : outbound.frame(encodeMessage(message));
    if (typeof peer === "string" || datagrams === null) {
      counters.sendDropped[typeof peer === "string" ? peer : "tooLarge"] += 1;
      return;
    }
    counters.sentMessages += 1;
    for (const datagram of datagrams) {
      if (shouldDrop()) {
        counters.injectedDrops += 1;
        continue;
      }
      counters.sentDatagrams += 1;
      counters.sentBytes += datagram.length;
      try {
        socket.send(datagram, peer.port, peer.address, (error) => {
          queuedDatagrams -= 1;
          queuedBytes -= datagram.length;
          if (error) counters.sendDropped.sendError += 1;
        });
        queuedDatagrams += 1;
        queuedBytes += datagram.length;
      } catch {
        counters.sendDropped.sendError += 1;
      }
    }
    poller.touch(); // an answer is likely within a round trip: be awake to read it
  }

  return {
    send,
    onMessage(handler) {
      // A fresh wrapper per registration, so registering one function twice gives two handles.
      const registered = (message: Message): void => handler(message);
      handlers.add(registered);
      return () => void handlers.delete(registered);
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        clearInterval(sweepTimer);
        poller.stop();
        handlers.clear();
        socket.close(() => resolve());
      });
      return closing;
    },
    stats: () =>
      snapshotStats(
        counters,
        { messages: inbound.pendingMessages, bytes: inbound.pendingBytes },
        poller.turns,
      ),
    address() {
      const bound = socket.address();
      return { host: bound.address, port: bound.port, family: bound.family === "IPv6" ? 6 : 4 };
    },
  };
}

function bind(socket: Socket, address: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const fail = (error: Error): void => {
      socket.close();
      reject(error);
    };
    socket.once("error", fail);
    socket.bind({ address, port, exclusive: true }, () => {
      socket.off("error", fail);
      resolve();
    });
  });
}
