// The client API of one server, over node:http:
//
//   GET  /kv/:key[?consistency=readIndex|lease|log] -> 200 {"value": "..."} | 404 {"value": null}
//                                      (any node; log reads only the leader)
//   PUT  /kv/:key          body: value -> 200 {"ok": true} | 413 (body over 1 MiB, or the command
//                                                over the node's entryBytesMax)
//   POST /kv/:key/cas      body: {"expected": string|null, "value": string} -> 200 {"ok": bool}
//   GET  /status                       -> 200 {id, role, term, leader, leaderUrl, membership,
//                                             addresses, progress, transport, ...}
//        /status?leader-after-term=T&wait-ms=W: the same, held until this server knows a leader
//                                             at a term above T, or W ms (leader-wait.ts)
//   GET, POST /members, POST /members/:id/promote, DELETE /members/:id: membership (member-api.ts)
//   POST /admin/transfer   body: {"to": id}: hand leadership to id (transfer-api.ts)
//   POST /admin/partition  body: {"cut": [id...]} -> 200 {"cut": [...]}  (fault injection only:
//                                      the server runs with FLOTILLA_FAULT_INJECTION=1; else 404)
//   GET  /health                       -> 200 {"ok": true, ...} while running with a known leader, else 503
//   GET  /metrics                      -> 200 the Prometheus text format (metrics.ts)
//
// Writes are commands proposed to Raft: the answer is given once the entry committed and was
// applied. Reads are linearizable without a log write by default (the driver's read(): ReadIndex,
// Raft thesis §6.4: the leader confirms with one heartbeat round that it still leads, then
// answers from its state machine); `consistency=lease` skips the round while the leader's lease
// holds (§6.4.1; the servers run with leaseReads, which assumes bounded clock drift), and
// `consistency=log` proposes the read as a command like a write. Any node serves a ReadIndex or
// lease read: a follower asks the leader for a read index (follower reads; on a follower a lease
// read costs what a ReadIndex read does) and answers from its own state machine once it applied
// up to it. Everything else only the leader serves: a follower answers 307 with the leader's
// client address (Location and body), or 503 when it knows no leader. Failed requests say in `retry` whether the write surely did not happen
// ("safe": retry freely) or may have ("unknown": a retry may apply it twice). A leader that steps
// down settles its pending proposals at once (the driver's SteppedDownError): 503 STEPPED_DOWN,
// retry "unknown", with `leader` and `leaderUrl` when the new leader is known. A leader handing
// leadership over (POST /admin/transfer, or a SIGTERM) refuses new commands meanwhile: 503
// TRANSFERRING, retry "safe" (the new leader should lead within a round trip or two).

import { createServer, type IncomingMessage, type Server } from "node:http";
import {
  FlotillaError,
  LeadershipLostError,
  LeadershipTransferringError,
  NotLeaderError,
  OverloadedError,
  StoppedError,
} from "@flotilla/core";
import { encodeKvCommand, type KvInput } from "@flotilla/kv-model";
import type { UdpTransportStats } from "@flotilla/transport-udp";
import { type ApiContext, leaderOnly } from "./api-context.js";
import {
  badRequest,
  failure,
  type Reply,
  ReplyWriter,
  readBody,
  tooLarge,
  valueReply,
} from "./http-reply.js";
import { type KvRead, kvReadOf } from "./kv-read-url.js";
import type { KvStore } from "./kv-store.js";
import { parseLeaderWait, waitForLeaderAfter } from "./leader-wait.js";
import { routeMembers } from "./member-api.js";
import type { PartitionableTransport } from "./partition.js";
import type { ServerOutput } from "./server-state.js";
import { transferLeadership } from "./transfer-api.js";

export function createApiServer(context: ApiContext): Server {
  const replies = new ReplyWriter(context.node.id);
  return createServer((request, response) => {
    answer(context, request)
      .catch((error: unknown) => failure(context.addresses, error))
      .then((reply) => replies.send(response, reply));
  });
}

/**
 * GET /kv/:key (bench kv's reads) and GET /health (polled by load balancers, and bench kv's
 * `--http-floor`) skip the URL object and the general routing; the rest is routed.
 */
function answer(context: ApiContext, request: IncomingMessage): Promise<Reply> {
  if (request.method === "GET") {
    const get = kvReadOf(request.url);
    if (get !== null) return serveGet(context, request, get);
    if (request.url === "/health") return Promise.resolve(health(context));
  }
  return route(context, request);
}

function serveGet(context: ApiContext, request: IncomingMessage, get: KvRead): Promise<Reply> {
  if (get.consistency === "log") return propose(context, request, { op: "get", key: get.key });
  return read(context, request, get.key, get.consistency);
}

async function route(context: ApiContext, request: IncomingMessage): Promise<Reply> {
  const url = new URL(request.url ?? "/", "http://localhost");
  const method = request.method ?? "GET";
  if (url.pathname === "/status" && method === "GET") {
    const wait = parseLeaderWait(url.searchParams);
    if (typeof wait === "string") return badRequest(wait);
    if (wait !== null) await waitForLeaderAfter(context.node, request, wait.afterTerm, wait.waitMs);
    return { status: 200, body: status(context) };
  }
  if (url.pathname === "/admin/partition" && method === "POST" && context.partition) {
    return partition(context.partition, await readBody(request));
  }
  if (url.pathname === "/admin/transfer" && method === "POST") {
    return transferLeadership(context, request, await readBody(request));
  }
  if (url.pathname === "/health" && method === "GET") return health(context);
  if (url.pathname === "/members" || url.pathname.startsWith("/members/")) {
    return routeMembers(context, request, url.pathname, method);
  }
  if (url.pathname === "/metrics" && method === "GET") {
    const { registry } = context.metrics;
    return { status: 200, body: await registry.metrics(), contentType: registry.contentType };
  }
  const match = /^\/kv\/([^/]+)(\/cas)?$/.exec(url.pathname);
  if (match === null) return { status: 404, body: { error: "NOT_FOUND", message: "no such path" } };
  let key: string;
  try {
    key = decodeURIComponent(match[1] as string);
  } catch {
    return badRequest("the key is not valid percent-encoding");
  }
  const isCas = match[2] !== undefined;
  if (!isCas && method === "GET") {
    // The reads kvReadOf did not take (other query parameters, say): the same, the slow way.
    const consistency = url.searchParams.get("consistency") ?? "readIndex";
    if (consistency !== "readIndex" && consistency !== "lease" && consistency !== "log") {
      return badRequest(`consistency must be readIndex, lease or log, not ${consistency}`);
    }
    return serveGet(context, request, { key, consistency });
  }
  if (!isCas && method === "PUT") {
    const value = await readBody(request);
    return value === null ? tooLarge() : propose(context, request, { op: "put", key, value });
  }
  if (isCas && method === "POST") {
    const text = await readBody(request);
    if (text === null) return tooLarge();
    const cas = parseCas(text);
    if (typeof cas === "string") return badRequest(cas);
    return propose(context, request, { op: "cas", key, ...cas });
  }
  return {
    status: 405,
    body: { error: "METHOD_NOT_ALLOWED", message: `${method} ${url.pathname}` },
  };
}

/**
 * A linearizable read without a log write, served by whichever node the client asked once the
 * driver's read() settles: on a follower, once this node's state machine reached the read index
 * the leader gave it (thesis §6.4, follower reads), so reads spread over the cluster.
 */
async function read(
  context: ApiContext,
  request: IncomingMessage,
  key: string,
  consistency: "readIndex" | "lease",
): Promise<Reply> {
  const { node } = context;
  try {
    await node.read({ consistency, timeoutMs: context.proposalTimeoutMs });
  } catch (error) {
    if (error instanceof NotLeaderError) return leaderOnly(context, request, error.leader);
    if (error instanceof StoppedError) {
      return { status: 503, body: { error: "STOPPING", message: error.message, retry: "safe" } };
    }
    // A read changes nothing: whatever went wrong, retrying it is safe.
    const { code, message } =
      error instanceof FlotillaError ? error : { code: "INTERNAL", message: String(error) };
    return {
      status: code === "TIMEOUT" ? 504 : 503,
      body: { error: code, message, retry: "safe" },
    };
  }
  return valueReply(context.store.get(key));
}

async function propose(
  context: ApiContext,
  request: IncomingMessage,
  input: KvInput,
): Promise<Reply> {
  const { node } = context;
  const current = node.status();
  if (current.phase !== "running") {
    return {
      status: 503,
      body: { error: "STOPPING", message: `node is ${current.phase}`, retry: "safe" },
    };
  }
  if (current.role !== "leader") return leaderOnly(context, request, current.leader);
  let output: ServerOutput;
  try {
    output = await node.propose(encodeKvCommand(input), { timeoutMs: context.proposalTimeoutMs });
    context.metrics.proposal("committed");
  } catch (error) {
    const safe =
      error instanceof NotLeaderError ||
      error instanceof OverloadedError ||
      error instanceof LeadershipTransferringError;
    context.metrics.proposal(safe || error instanceof LeadershipLostError ? "rejected" : "failed");
    if (error instanceof NotLeaderError) return leaderOnly(context, request, error.leader);
    return failure(context.addresses, error);
  }
  switch (output.op) {
    case "get":
      return valueReply(output.value);
    case "put":
      return { status: 200, body: { ok: true } };
    case "cas":
      return { status: 200, body: { ok: output.ok } };
    case "member":
      throw new TypeError("a key-value command applied as a member record");
    default: {
      const never: never = output;
      throw new TypeError(`unknown output ${JSON.stringify(never)}`);
    }
  }
}

function status(context: ApiContext) {
  const s = context.node.status();
  const { addresses } = context;
  return {
    ...s,
    // The index the store's state is at: ahead of the driver's while a long batch of applies
    // gives the event loop turns (apply-pacer.ts), so that the digest below goes with it.
    appliedIndex: Math.max(s.appliedIndex, context.store.appliedIndex),
    leaderUrl: s.leader === null ? null : addresses.apiUrl(s.leader),
    // Where each node listens, as this node knows it (command line, then the replicated records).
    addresses: addresses.all(),
    pid: process.pid,
    transport: transportSummary(context.transportStats()),
    keys: context.store.size,
    // The keys' and values' UTF-8 bytes: what a snapshot carries, near enough (bench growth).
    stateBytes: context.store.bytes,
    process: processSummary(context.store),
    // Replicas at the same appliedIndex must agree on this digest of their whole state.
    digest: context.store.digest(),
  };
}

/** For load balancers: 200 while the node runs and knows a leader, else 503. */
function health(context: ApiContext): Reply {
  const { phase, role, leader } = context.node.status();
  const ok = phase === "running" && leader !== null;
  return { status: ok ? 200 : 503, body: { ok, phase, role, leader } };
}

/** What an operator (or the benchmark) wants from the transport's counters. */
function transportSummary(stats: UdpTransportStats) {
  const sum = (counts: Readonly<Record<string, number>>) =>
    Object.values(counts).reduce((total, n) => total + n, 0);
  return {
    sentDatagrams: stats.sent.datagrams,
    receivedDatagrams: stats.received.datagrams,
    sentBytes: stats.sent.bytes,
    receivedBytes: stats.received.bytes,
    injectedDrops: stats.injectedDrops,
    sendDropped: sum(stats.sendDropped),
    inboundDropped: sum(stats.dropped),
    // Every reason, so a wrong cluster key (foreignCluster) or a forger (badTag) shows here.
    droppedByReason: stats.dropped,
    sendDroppedByReason: stats.sendDropped,
  };
}

/**
 * This process's memory: resident now and at its peak (the kernel's high-water mark, so a spike
 * between two polls is not missed), and what holds it: V8's heap, the memory of ArrayBuffers
 * (the store's slabs among them), the slabs alone (bench growth reports these at each server's
 * peak). The event loop's delays are in /metrics (nodejs_eventloop_lag_max_seconds, reset by
 * each scrape).
 */
function processSummary(store: KvStore) {
  const memory = process.memoryUsage();
  return {
    rssBytes: memory.rss,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    heapUsedBytes: memory.heapUsed,
    heapTotalBytes: memory.heapTotal,
    arrayBuffersBytes: memory.arrayBuffers,
    slabBytes: store.slabBytes,
  };
}

/** Sets the peers this node is cut off from (fault injection); an empty list heals. */
function partition(transport: PartitionableTransport, text: string | null): Reply {
  let cut: unknown;
  try {
    cut = (JSON.parse(text ?? "") as { cut?: unknown } | null)?.cut;
  } catch {
    cut = undefined;
  }
  if (!Array.isArray(cut) || !cut.every((peer) => typeof peer === "string")) {
    return badRequest('the body must be JSON: {"cut": [node id, ...]}');
  }
  transport.partition(cut);
  return { status: 200, body: { cut: transport.cut } };
}

function parseCas(text: string): { expected: string | null; value: string } | string {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return 'the body must be JSON: {"expected": string | null, "value": string}';
  }
  const { expected, value } = (body ?? {}) as { expected?: unknown; value?: unknown };
  if (typeof value !== "string") return "value must be a string";
  if (expected !== null && typeof expected !== "string") return "expected must be a string or null";
  return { expected, value };
}
