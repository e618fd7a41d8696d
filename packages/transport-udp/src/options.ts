// Options of createUdpTransport: the public type, defaults, and validation. Local misuse throws a
// ConfigError naming the field ("listen.port", "peers.b", "keys[1].secret").
import { ConfigError } from "@flotilla/core";
import { parseHostPort } from "./address.js";
import type { DropListener } from "./drop-report.js";
import { senderIdBytesMax } from "./frame.js";
import { type KeyInput, secretBytes, secretBytesMin } from "./keys.js";
import { overheadBytes } from "./outbound.js";

/** Where the transport's warnings go (the one-time insecure-mode warning). */
export type UdpLogger = {
  /** One human-readable line. */
  warn(message: string): void;
};

/** Options of `createUdpTransport`; only `id`, `listen`, `peers` and a key are required. */
export type UdpTransportOptions = {
  /** This node's id; it goes into every datagram, so at most 255 UTF-8 bytes. */
  readonly id: string;
  /** Where to bind. `port: 0` picks a free port (see `address()`). */
  readonly listen: { readonly host: string; readonly port: number };
  /**
   * Every peer's "host:port" (or "[ipv6]:port"). An entry for this node itself is ignored, so all
   * nodes may share one map. Host names are resolved once, at creation.
   */
  readonly peers: Readonly<Record<string, string>>;
  /** The cluster secret (at least 16 bytes). Same as `keys: [{ id: 0, secret: key }]`. */
  readonly key?: Uint8Array | string;
  /** Several secrets during a rotation: send with the first, accept all (see keys.ts). */
  readonly keys?: readonly KeyInput[];
  /** Run with no secret at all: anyone on the network can forge messages. Must be explicit. */
  readonly insecure?: boolean;
  /** Fixes the cluster id for all keys (otherwise each key derives its own). */
  readonly clusterName?: string;
  /** Encrypt every payload with AES-256-GCM (for networks that are not private). */
  readonly encrypt?: boolean;
  /** The largest datagram sent. 1,232 = IPv6's minimum MTU (1,280) minus IPv6 and UDP headers. */
  readonly maxDatagramBytes?: number;
  /** Fragment bytes held for incomplete messages, across all peers. */
  readonly reassemblyBytesMax?: number;
  readonly reassemblyMessagesMax?: number;
  /** An incomplete message is discarded this long after its first fragment. */
  readonly reassemblyTimeoutMs?: number;
  /**
   * Drop outbound messages while the socket's queue holds more than this many bytes... Default
   * 16 MiB (and 16,384 datagrams): room for the core's in-flight window (`inflightBytesMax`,
   * 4 MiB) to two followers at once with some to spare. At 4 MiB and 4,096 datagrams, a leader
   * streaming a snapshot in 1,232-byte datagrams to one follower and entries to another had its
   * own chunks refused, and each refused chunk cost the follower (which takes chunks in order) the
   * rest of the window, sent again (bench growth: 1.5x the snapshot's bytes sent).
   */
  readonly sendQueueBytesMax?: number;
  /** ...or more than this many datagrams. */
  readonly sendQueueCountMax?: number;
  /**
   * After sending or receiving, keep polling the socket this many microseconds instead of letting
   * the process sleep (see busy-poll.ts): lower latency where waking a sleeping process is slow,
   * for CPU. Only with at least as many cores as polling processes. Default 0: off.
   */
  readonly busyPollUs?: number;
  /**
   * Fault injection for tests and benchmarks: drop this share (0 to 1) of outgoing datagrams at
   * random, as a lossy network would; counted in `stats().injectedDrops`. Default 0: off.
   */
  readonly dropProbability?: number;
  /** Seed of the drop decisions, so a lossy run replays (default 1). */
  readonly dropSeed?: number;
  /**
   * SO_RCVBUF / SO_SNDBUF for the socket. Default 8 MiB: the OS default (about 200 KB on Linux)
   * holds fewer than 100 full datagrams, so one fragmented 1 MiB AppendEntries arriving while the
   * receiver's event loop is busy overflowed it and was lost whole, again and again. The kernel
   * caps the size at net.core.rmem_max / wmem_max: raise those on hosts that replicate big values.
   */
  readonly socketBufferBytes?: number;
  /** Where the one-time insecure-mode warning goes (default console.warn). */
  readonly logger?: UdpLogger;
  /**
   * Called with every inbound datagram dropped (reason, source address, claimed sender), as it
   * happens: for logs that name a peer with the wrong key. Must be cheap; rate-limit inside.
   */
  readonly onDrop?: DropListener;
  /** Milliseconds on a monotonic clock, for reassembly timeouts (default performance.now). */
  readonly now?: () => number;
};

/** The value of every optional numeric option left out of `UdpTransportOptions`. */
export const udpDefaults = {
  maxDatagramBytes: 1232,
  reassemblyBytesMax: 32 * 1024 * 1024,
  reassemblyMessagesMax: 1024,
  reassemblyTimeoutMs: 2000,
  sendQueueBytesMax: 16 * 1024 * 1024,
  sendQueueCountMax: 16_384,
  busyPollUs: 0,
  dropProbability: 0,
  dropSeed: 1,
  socketBufferBytes: 8 * 1024 * 1024,
} as const;

/** The options with defaults filled and every field checked; peers parsed but not resolved. */
export type CheckedOptions = Required<
  Pick<UdpTransportOptions, keyof typeof udpDefaults | "id" | "listen" | "encrypt" | "insecure">
> & {
  readonly keys: readonly KeyInput[];
  readonly peers: readonly { readonly id: string; readonly host: string; readonly port: number }[];
  readonly clusterName: string | undefined;
};

export function checkOptions(options: UdpTransportOptions): CheckedOptions {
  if (typeof options !== "object" || options === null) {
    throw new ConfigError("(root)", "expected an object");
  }
  const id = options.id;
  const idBytes = typeof id === "string" ? new TextEncoder().encode(id).length : 0;
  if (idBytes < 1 || idBytes > senderIdBytesMax) {
    throw new ConfigError("id", `must be a string of 1-${senderIdBytesMax} UTF-8 bytes`);
  }
  const listen = options.listen;
  if (typeof listen?.host !== "string" || listen.host.length === 0) {
    throw new ConfigError("listen.host", "must be a non-empty string");
  }
  integer("listen.port", listen.port, 0, 65_535);
  const encrypt = boolean("encrypt", options.encrypt);
  const insecure = boolean("insecure", options.insecure);
  const keys = checkKeys(options, insecure, encrypt);
  const numbers = {
    maxDatagramBytes: options.maxDatagramBytes ?? udpDefaults.maxDatagramBytes,
    reassemblyBytesMax: options.reassemblyBytesMax ?? udpDefaults.reassemblyBytesMax,
    reassemblyMessagesMax: options.reassemblyMessagesMax ?? udpDefaults.reassemblyMessagesMax,
    reassemblyTimeoutMs: options.reassemblyTimeoutMs ?? udpDefaults.reassemblyTimeoutMs,
    sendQueueBytesMax: options.sendQueueBytesMax ?? udpDefaults.sendQueueBytesMax,
    sendQueueCountMax: options.sendQueueCountMax ?? udpDefaults.sendQueueCountMax,
    busyPollUs: options.busyPollUs ?? udpDefaults.busyPollUs,
    dropProbability: options.dropProbability ?? udpDefaults.dropProbability,
    dropSeed: options.dropSeed ?? udpDefaults.dropSeed,
    socketBufferBytes: options.socketBufferBytes ?? udpDefaults.socketBufferBytes,
  };
  // At least 64 payload bytes per datagram, and never past IPv4's largest UDP payload.
  integer("maxDatagramBytes", numbers.maxDatagramBytes, overheadBytes(id, encrypt) + 64, 65_507);
  integer("reassemblyBytesMax", numbers.reassemblyBytesMax, 1, 2 ** 32);
  integer("reassemblyMessagesMax", numbers.reassemblyMessagesMax, 1, 2 ** 24);
  integer("reassemblyTimeoutMs", numbers.reassemblyTimeoutMs, 1, 3_600_000);
  integer("sendQueueBytesMax", numbers.sendQueueBytesMax, 0, 2 ** 32);
  integer("sendQueueCountMax", numbers.sendQueueCountMax, 0, 2 ** 24);
  integer("busyPollUs", numbers.busyPollUs, 0, 1_000_000);
  const p = numbers.dropProbability;
  if (typeof p !== "number" || !(p >= 0 && p <= 1)) {
    throw new ConfigError("dropProbability", `must be a number in [0, 1], got ${String(p)}`);
  }
  integer("dropSeed", numbers.dropSeed, 0, 2 ** 32 - 1);
  integer("socketBufferBytes", numbers.socketBufferBytes, 1024, 2 ** 31 - 1);
  if (options.clusterName !== undefined && typeof options.clusterName !== "string") {
    throw new ConfigError("clusterName", "must be a string");
  }
  if (options.logger !== undefined && typeof options.logger?.warn !== "function") {
    throw new ConfigError("logger", "must have a warn(message) method");
  }
  if (options.now !== undefined && typeof options.now !== "function") {
    throw new ConfigError("now", "must be a function returning milliseconds");
  }
  return {
    ...numbers,
    id,
    listen: { host: listen.host, port: listen.port },
    encrypt,
    insecure,
    keys,
    peers: checkPeers(id, options.peers),
    clusterName: options.clusterName,
  };
}

function checkKeys(
  options: UdpTransportOptions,
  insecure: boolean,
  encrypt: boolean,
): readonly KeyInput[] {
  const { key, keys } = options;
  if (key !== undefined && keys !== undefined) {
    throw new ConfigError("keys", "give either key or keys, not both");
  }
  if (insecure) {
    if (key !== undefined || keys !== undefined) {
      throw new ConfigError("insecure", "insecure: true cannot be combined with a key");
    }
    if (encrypt) throw new ConfigError("encrypt", "encryption needs a key");
    return [];
  }
  if (key === undefined && keys === undefined) {
    throw new ConfigError("key", "a cluster key is required (or insecure: true, explicitly)");
  }
  const list = keys ?? [{ id: 0, secret: key! }];
  if (!Array.isArray(list) || list.length === 0) {
    throw new ConfigError("keys", "must be a non-empty array of { id, secret }");
  }
  const seen = new Set<number>();
  list.forEach((entry: KeyInput, i) => {
    const field = keys === undefined ? "key" : `keys[${i}]`;
    if (keys !== undefined) integer(`${field}.id`, entry?.id, 0, 255);
    if (seen.has(entry.id)) throw new ConfigError(`${field}.id`, `duplicate key id ${entry.id}`);
    seen.add(entry.id);
    const secret = entry.secret;
    const valid = typeof secret === "string" || secret instanceof Uint8Array;
    if (!valid || secretBytes(secret).length < secretBytesMin) {
      const name = keys === undefined ? field : `${field}.secret`;
      throw new ConfigError(
        name,
        `must be a string or Uint8Array of at least ${secretBytesMin} bytes`,
      );
    }
  });
  return list;
}

function checkPeers(self: string, peers: UdpTransportOptions["peers"]): CheckedOptions["peers"] {
  if (typeof peers !== "object" || peers === null) {
    throw new ConfigError("peers", 'must be an object mapping node ids to "host:port"');
  }
  const out: { id: string; host: string; port: number }[] = [];
  for (const [id, text] of Object.entries(peers)) {
    const peer = checkPeer(id, text);
    if (id !== self) out.push(peer);
  }
  return out;
}

/** One peer's id and "host:port", parsed; ConfigError naming `peers.<id>` when either is bad. */
export function checkPeer(id: string, text: unknown): CheckedOptions["peers"][number] {
  const bytes = new TextEncoder().encode(id).length;
  if (bytes < 1 || bytes > senderIdBytesMax) {
    throw new ConfigError(`peers.${id}`, `a node id must be 1-${senderIdBytesMax} UTF-8 bytes`);
  }
  const parsed = typeof text === "string" ? parseHostPort(text) : null;
  if (parsed === null) {
    throw new ConfigError(
      `peers.${id}`,
      `expected "host:port" or "[ipv6]:port", got ${JSON.stringify(text)}`,
    );
  }
  return { id, ...parsed };
}

function integer(field: string, value: unknown, min: number, max: number): void {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(field, `must be an integer in [${min}, ${max}], got ${String(value)}`);
  }
}

function boolean(field: string, value: unknown): boolean {
  if (value === undefined) return false;
  if (typeof value !== "boolean") throw new ConfigError(field, "must be a boolean");
  return value;
}
