// Requests to the examples/kv cluster over HTTP/1.1 keep-alive (undici, the HTTP client of the
// Node.js project: Node's own `http` client cost the bench process ~70 µs of CPU per request here,
// as much as a server spent answering a lease read, so it set the read rates; undici's ~30 µs
// does not, and its `dispatch` less than its `request`: see `send`), as a client library would
// send them. Each kind of request (a PUT; a GET of each
// consistency) goes where that kind was last answered, and a kind not sent yet where any request
// was last answered: a 307 from a follower is followed and remembered. In bench kv the PUT phases
// find the leader first, so every read phase reads there. One rule for every kind: the client
// favours no read consistency. (Spreading the load's clients over the three servers, whose
// followers serve ReadIndex and lease reads by asking the leader for a read index, cost more CPU
// per read in total on this 2-core machine: docs/benchmarks.md.) A 503 ("no leader yet",
// "leadership lost") is retried on another server after a short wait. A request fails on any
// other answer (a 504 proposal timeout, say), or after `deadlineMs`. A GET's 404 (no such key) is
// an answer like a 200.

import type { IncomingHttpHeaders } from "node:http";
import { Agent, type Dispatcher } from "undici";
import { pause } from "./closed-loop.js";

/** How a GET is served: the server's `?consistency=` (examples/kv http-api.ts). */
export type ReadConsistency = "readIndex" | "lease" | "log";

export type KvPutter = {
  put(key: string, value: Buffer): Promise<void>;
  get(key: string, consistency: ReadConsistency): Promise<void>;
  /** GET /health: an HTTP request that does no Raft work (bench kv's `--http-floor`). */
  health(): Promise<void>;
  close(): void;
};

/**
 * `connections`: the most requests the caller has in flight at once (its closed-loop clients),
 * and so the connections kept open to each server.
 */
export function kvPutter(
  servers: readonly string[],
  deadlineMs = 5000,
  connections = 64,
): KvPutter {
  // Connections kept open between requests, one per request in flight to a server, and no more:
  // left unbounded, undici's pool opened a second connection for most of them (a closed-loop
  // client sends its next request before the connection that answered its last is counted free
  // again), 128 connections for 64 clients, each dispatch scanning them all and each connection
  // used half as often: 64 clients cost the bench ~20 µs of CPU more per request (session 11,
  // docs/benchmarks.md).
  const http = new Agent({ keepAliveTimeout: 60_000, pipelining: 1, connections });
  /** Where the last request of each kind was answered: the next one goes there. */
  const served = new Map<string, string>();
  let lastAnswered = servers[0]!;
  let next = 0;

  /** Each read consistency's kind, named once. */
  const getKinds: Record<ReadConsistency, string> = {
    readIndex: "GET readIndex",
    lease: "GET lease",
    log: "GET log",
  };

  async function call(
    kind: string,
    method: "PUT" | "GET",
    path: string,
    body: Buffer | null,
  ): Promise<void> {
    const deadline = performance.now() + deadlineMs;
    const last = served.get(kind);
    let target = last ?? lastAnswered;
    for (;;) {
      const answer = await send(http, target, method, path, body);
      if (answer.status === 200 || (method === "GET" && answer.status === 404)) {
        if (target !== last) served.set(kind, target);
        lastAnswered = target;
        return;
      }
      if (performance.now() > deadline) {
        throw new Error(`${method} ${path}: gave up (${answer.status})`);
      }
      if (answer.status === 307 && answer.location !== undefined) {
        target = new URL(answer.location).origin;
        continue;
      }
      if (answer.status === 503 || answer.status === 0) {
        next += 1;
        target = servers[next % servers.length]!;
        await pause(10);
        continue;
      }
      throw new Error(`${method} ${path}: HTTP ${answer.status}`);
    }
  }

  return {
    put: (key, value) => call("PUT", "PUT", `/kv/${encodeURIComponent(key)}`, value),
    get: (key, consistency) =>
      call(
        getKinds[consistency],
        "GET",
        `/kv/${encodeURIComponent(key)}?consistency=${consistency}`,
        null,
      ),
    health: () => call("GET health", "GET", "/health", null),
    close: () => void http.destroy(),
  };
}

/** A request's answer: its status (0 when no answer came) and Location. */
type Answer = { readonly status: number; readonly location: string | undefined };

/**
 * One request; the answer's status and Location (its body is dropped as it arrives), status 0 if
 * the request failed without one. Sent with undici's `dispatch` and a handler of our own rather
 * than `request`, which wraps every answer's body in a stream: in bench kv's read phases that
 * stream was about a third of the client's CPU per request (docs/benchmarks.md), and the client
 * shares the machine with the servers.
 */
function send(
  http: Agent,
  origin: string,
  method: "PUT" | "GET",
  path: string,
  body: Buffer | null,
): Promise<Answer> {
  return new Promise((resolve) => {
    try {
      http.dispatch({ origin, method, path, body }, new AnswerHandler(resolve));
    } catch {
      resolve({ status: 0, location: undefined }); // undici reports its errors to the handler
    }
  });
}

/**
 * undici's handler of one request: a class, so that a request costs one object and no closures
 * (the load's client shares the two cores with the servers).
 */
class AnswerHandler implements Dispatcher.DispatchHandler {
  readonly #resolve: (answer: Answer) => void;
  #status = 0;
  #location: string | undefined = undefined;

  constructor(resolve: (answer: Answer) => void) {
    this.#resolve = resolve;
  }

  // Its presence makes undici take the handler as one of its current (controller) kind.
  onRequestStart(): void {}

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: IncomingHttpHeaders,
  ): void {
    this.#status = statusCode;
    const at = headers.location;
    this.#location = typeof at === "string" ? at : undefined;
  }

  onResponseData(): void {}

  onResponseEnd(): void {
    this.#resolve({ status: this.#status, location: this.#location });
  }

  onResponseError(): void {
    this.#resolve({ status: 0, location: undefined });
  }
}
