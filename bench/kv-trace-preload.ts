// `bench kv --put-only --trace DIR`, inside each kv server process (loaded with `--import`):
// records, on the monotonic clock every process on the machine shares (process.hrtime), the
// system-call edges of one PUT's path: an HTTP request handed to the server and its answer ended,
// each UDP datagram sent and handled, each file write and fdatasync (start and end). Nothing in
// the server is changed: Node's own classes are wrapped, so the record is of what the process did,
// whatever code did it. The records go to DIR/<pid>.jsonl every 200 ms; kv-trace.ts lines them up.

import { Socket as DgramSocket } from "node:dgram";
import { appendFileSync } from "node:fs";
import { open } from "node:fs/promises";
import { Server as HttpServer, ServerResponse } from "node:http";

/** [what, pid, start µs, end µs, bytes]. */
export type TraceEdge = readonly [TraceEdgeKind, number, number, number, number];
export type TraceEdgeKind =
  | "httpRequest"
  | "httpEnd"
  | "udpSend"
  | "udpHandled"
  | "fileWrite"
  | "fileDatasync";

const dir = process.env.FLOTILLA_BENCH_TRACE_DIR;
const edges: TraceEdge[] = [];

function nowUs(): number {
  return Number(process.hrtime.bigint() / 100n) / 10;
}

function record(kind: TraceEdgeKind, startUs: number, bytes = 0): void {
  edges.push([kind, process.pid, startUs, nowUs(), bytes]);
}

type AnyFunction = (this: unknown, ...args: unknown[]) => unknown;

/** Replaces `target[name]` with a wrapper that records its call as `kind`. */
function wrapSync(
  target: object,
  name: string,
  kind: TraceEdgeKind,
  when?: (args: unknown[]) => boolean,
) {
  const table = target as Record<string, AnyFunction>;
  const original = table[name]!;
  table[name] = function (this: unknown, ...args: unknown[]) {
    if (when !== undefined && !when(args)) return original.apply(this, args);
    const startUs = nowUs();
    const result = original.apply(this, args);
    record(kind, startUs, byteLength(args[kind === "udpHandled" ? 1 : 0]));
    return result;
  };
}

function wrapAsync(target: object, name: string, kind: TraceEdgeKind) {
  const table = target as Record<string, AnyFunction>;
  const original = table[name]!;
  table[name] = async function (this: unknown, ...args: unknown[]) {
    const startUs = nowUs();
    try {
      return await original.apply(this, args);
    } finally {
      record(kind, startUs, byteLength(args[0]));
    }
  };
}

function byteLength(value: unknown): number {
  return value instanceof Uint8Array ? value.length : 0;
}

if (dir !== undefined) {
  const probe = await open("/dev/null", "r");
  const fileHandle = Object.getPrototypeOf(probe) as object;
  await probe.close();
  wrapAsync(fileHandle, "write", "fileWrite");
  wrapAsync(fileHandle, "datasync", "fileDatasync");
  wrapSync(DgramSocket.prototype, "send", "udpSend");
  wrapSync(DgramSocket.prototype, "emit", "udpHandled", (args) => args[0] === "message");
  wrapSync(HttpServer.prototype, "emit", "httpRequest", (args) => args[0] === "request");
  wrapSync(ServerResponse.prototype, "end", "httpEnd");
  const file = `${dir}/${process.pid}.jsonl`;
  const flush = () => {
    if (edges.length === 0) return;
    appendFileSync(file, `${edges.map((edge) => JSON.stringify(edge)).join("\n")}\n`);
    edges.length = 0;
  };
  setInterval(flush, 200).unref();
  process.on("exit", flush);
}
