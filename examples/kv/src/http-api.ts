// The client API of one server, over node:http:
//
//   GET  /kv/:key                      -> 200 {"value": "..."} | 404 {"value": null}
//   PUT  /kv/:key          body: value -> 200 {"ok": true} | 413 (body over 1 MiB, or the command
//                                                over the node's entryBytesMax)
//   POST /kv/:key/cas      body: {"expected": string|null, "value": string} -> 200 {"ok": bool}
//   GET  /status                       -> 200 {id, role, term, leader, leaderUrl, progress, transport, ...}
//   POST /admin/partition  body: {"cut": [id...]} -> 200 {"cut": [...]}  (fault injection only:
//                                      the server runs with FLOTILLA_FAULT_INJECTION=1; else 404)
//   GET  /health                       -> 200 {"ok": true, ...} while running with a known leader, else 503
//   GET  /metrics                      -> 200 the Prometheus text format (metrics.ts)
//
// Every key operation, reads included, is a command proposed to Raft: the answer is given once
// the entry committed and was applied, so reads are linearizable by the log (Raft thesis §6.4
// offers cheaper reads; the driver does not expose them yet). Only the leader proposes: a
// follower answers 307 with the leader's client address (Location and body), or 503 when it
// knows no leader. Failed requests say in `retry` whether the write surely did not happen
// ("safe": retry freely) or may have ("unknown": a retry may apply it twice). A leader that steps
// down settles its pending proposals at once (the driver's SteppedDownError): 503 STEPPED_DOWN,
// retry "unknown", with `leader` and `leaderUrl` when the new leader is known.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import {
  EntryTooLargeError,
  FlotillaError,
  type FlotillaNode,
  LeadershipLostError,
  NotLeaderError,
  OverloadedError,
  SteppedDownError,
} from "@flotilla/core";
import { encodeKvCommand, type KvInput, type KvOutput } from "@flotilla/kv-model";
import type { UdpTransportStats } from "@flotilla/transport-udp";
import { formatHostPort, type HostPort } from "./addresses.js";
import type { KvStore } from "./kv-store.js";
import type { KvMetrics } from "./metrics.js";
import type { PartitionableTransport } from "./partition.js";

export type ApiContext = {
  readonly node: FlotillaNode<KvOutput>;
  readonly store: KvStore;
  readonly api: ReadonlyMap<string, HostPort>;
  readonly proposalTimeoutMs: number;
  /** The Raft transport's counters, in /status and /metrics. */
  readonly transportStats: () => UdpTransportStats;
  /** Fault injection (tests, benchmarks): absent unless the server enabled it. */
  readonly partition?: PartitionableTransport;
  /** What GET /metrics serves. */
  readonly metrics: KvMetrics;
};

type Reply = {
  readonly status: number;
  readonly body: unknown;
  readonly location?: string;
  /** When set, `body` is this type's text as is (not JSON). */
  readonly contentType?: string;
};

const bodyBytesMax = 1024 * 1024;

export function createApiServer(context: ApiContext): Server {
  return createServer((request, response) => {
    route(context, request)
      .catch((error: unknown) => failure(context, error))
      .then((reply) => send(response, context.node.id, reply));
  });
}

async function route(context: ApiContext, request: IncomingMessage): Promise<Reply> {
  const url = new URL(request.url ?? "/", "http://localhost");
  const method = request.method ?? "GET";
  if (url.pathname === "/status" && method === "GET") return { status: 200, body: status(context) };
  if (url.pathname === "/admin/partition" && method === "POST" && context.partition) {
    return partition(context.partition, await readBody(request));
  }
  if (url.pathname === "/health" && method === "GET") return health(context);
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
  if (!isCas && method === "GET") return propose(context, request, { op: "get", key });
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
  if (current.role !== "leader") return redirect(context, request, current.leader);
  let output: KvOutput;
  try {
    output = await node.propose(encodeKvCommand(input), { timeoutMs: context.proposalTimeoutMs });
    context.metrics.proposal("committed");
  } catch (error) {
    const safe = error instanceof NotLeaderError || error instanceof OverloadedError;
    context.metrics.proposal(safe || error instanceof LeadershipLostError ? "rejected" : "failed");
    if (error instanceof NotLeaderError) return redirect(context, request, error.leader);
    return failure(context, error);
  }
  switch (output.op) {
    case "get":
      return { status: output.value === null ? 404 : 200, body: { value: output.value } };
    case "put":
      return { status: 200, body: { ok: true } };
    case "cas":
      return { status: 200, body: { ok: output.ok } };
    default: {
      const never: never = output;
      throw new TypeError(`unknown output ${JSON.stringify(never)}`);
    }
  }
}

function redirect(context: ApiContext, request: IncomingMessage, leader: string | null): Reply {
  const address = leader === null ? undefined : context.api.get(leader);
  if (leader === null || address === undefined || leader === context.node.id) {
    return {
      status: 503,
      body: { error: "NO_LEADER", message: "no leader is known yet; retry shortly", retry: "safe" },
    };
  }
  const leaderUrl = `http://${formatHostPort(address)}`;
  return {
    status: 307,
    location: `${leaderUrl}${request.url ?? "/"}`,
    body: { error: "NOT_LEADER", message: `${leader} leads`, leader, leaderUrl, retry: "safe" },
  };
}

/** Maps a failed proposal to a reply that says whether retrying is safe. */
function failure(context: ApiContext, error: unknown): Reply {
  if (error instanceof InvalidUtf8Error) return badRequest(error.message);
  if (error instanceof EntryTooLargeError) {
    // Refused by the core before it was appended: never happens, and a retry cannot help.
    return { status: 413, body: { error: error.code, message: error.message, retry: "safe" } };
  }
  if (error instanceof SteppedDownError) {
    // The entry may still commit under the new leader: the client must not retry blindly.
    const address = error.leader === null ? undefined : context.api.get(error.leader);
    const leaderUrl = address === undefined ? null : `http://${formatHostPort(address)}`;
    const { code, message, leader } = error;
    return { status: 503, body: { error: code, message, leader, leaderUrl, retry: "unknown" } };
  }
  if (error instanceof OverloadedError || error instanceof LeadershipLostError) {
    // Neither ever commits: the entry was refused, or another entry took its index.
    return { status: 503, body: { error: error.code, message: error.message, retry: "safe" } };
  }
  if (error instanceof FlotillaError) {
    // TIMEOUT, OUTCOME_UNKNOWN, STOPPED: the entry may be in the log and commit later.
    const status = error.code === "TIMEOUT" ? 504 : 503;
    return { status, body: { error: error.code, message: error.message, retry: "unknown" } };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { status: 500, body: { error: "INTERNAL", message, retry: "unknown" } };
}

function status(context: ApiContext) {
  const s = context.node.status();
  const leaderAddress = s.leader === null ? undefined : context.api.get(s.leader);
  return {
    ...s,
    leaderUrl: leaderAddress === undefined ? null : `http://${formatHostPort(leaderAddress)}`,
    pid: process.pid,
    transport: transportSummary(context.transportStats()),
    keys: context.store.size,
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
    injectedDrops: stats.injectedDrops,
    sendDropped: sum(stats.sendDropped),
    inboundDropped: sum(stats.dropped),
    // Every reason, so a wrong cluster key (foreignCluster) or a forger (badTag) shows here.
    droppedByReason: stats.dropped,
    sendDroppedByReason: stats.sendDropped,
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

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** A request body that is not valid UTF-8: answered 400. */
class InvalidUtf8Error extends Error {
  constructor() {
    super("the body is not valid UTF-8");
  }
}

function readBody(request: IncomingMessage): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    request.on("data", (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes <= bodyBytesMax) chunks.push(chunk);
    });
    request.on("end", () => {
      if (bytes > bodyBytesMax) return resolve(null);
      try {
        // Fatal: a value that is not UTF-8 is refused (400), never stored as U+FFFD.
        resolve(strictUtf8.decode(Buffer.concat(chunks)));
      } catch {
        reject(new InvalidUtf8Error());
      }
    });
    request.on("error", reject);
  });
}

function badRequest(message: string): Reply {
  return { status: 400, body: { error: "BAD_REQUEST", message } };
}

function tooLarge(): Reply {
  return {
    status: 413,
    body: { error: "TOO_LARGE", message: `bodies are limited to ${bodyBytesMax} bytes` },
  };
}

function send(response: ServerResponse, nodeId: string, reply: Reply): void {
  const body =
    reply.contentType === undefined ? `${JSON.stringify(reply.body)}\n` : String(reply.body);
  response.writeHead(reply.status, {
    "content-type": reply.contentType ?? "application/json",
    "content-length": Buffer.byteLength(body),
    "x-flotilla-node": nodeId,
    ...(reply.location === undefined ? {} : { location: reply.location }),
  });
  response.end(body);
}
