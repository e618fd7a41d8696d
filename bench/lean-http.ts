// A lean HTTP/1.1 keep-alive client for the benchmarks' load: one request outstanding per
// connection, connections pooled per server and reused, the request written with one socket write
// and the answer parsed only for what the load needs (status, Content-Length, Location). Node's
// `http` client cost the bench process ~70 µs of CPU per request on this machine (ClientRequest,
// the agent's bookkeeping, header objects, streams), as much as the server spent answering a
// lease read: the load generator, not the servers, set the read rates. Every kv request of `bench
// kv` (PUTs, and GETs of every consistency) goes through this one client, so it favours no mode.
//
// It speaks only what examples/kv's server answers: every reply carries Content-Length (no chunked
// bodies). A reply without one, or bytes that do not parse, fail the request and close the
// connection. A pooled connection the server closed while idle (its keep-alive timeout) fails the
// request before any byte of an answer arrived: that request is sent once more on a new
// connection, as Node's agent does.
import { connect, type Socket } from "node:net";

/** The parts of an answer the load needs. */
export type LeanAnswer = { readonly status: number; readonly location: string | undefined };

const headerEnd = Buffer.from("\r\n\r\n");

/** One keep-alive connection carrying one request at a time. */
class Connection {
  readonly socket: Socket;
  #buffered: Buffer = Buffer.alloc(0);
  #waiter: { resolve(a: LeanAnswer): void; reject(e: Error): void } | null = null;
  #closed = false;
  /** Whether any byte of an answer arrived on this connection (a reused one that never did may retry). */
  answered = false;

  constructor(host: string, port: number) {
    this.socket = connect({ host, port, noDelay: true });
    this.socket.on("data", (chunk: Buffer) => this.#onData(chunk));
    this.socket.on("error", (error) => this.#close(error));
    this.socket.on("close", () => this.#close(new Error("connection closed")));
  }

  get closed(): boolean {
    return this.#closed;
  }

  request(head: string, body: Buffer | null): Promise<LeanAnswer> {
    return new Promise((resolve, reject) => {
      if (this.#closed) return reject(new Error("connection closed"));
      this.#waiter = { resolve, reject };
      if (body === null || body.length === 0) {
        this.socket.write(head, "latin1");
      } else {
        this.socket.cork();
        this.socket.write(head, "latin1");
        this.socket.write(body);
        this.socket.uncork();
      }
    });
  }

  #onData(chunk: Buffer): void {
    this.answered = true;
    this.#buffered = this.#buffered.length === 0 ? chunk : Buffer.concat([this.#buffered, chunk]);
    const end = this.#buffered.indexOf(headerEnd);
    if (end < 0) return;
    const head = this.#buffered.toString("latin1", 0, end);
    const parsed = parseHead(head);
    if (typeof parsed === "string") {
      this.#close(new Error(parsed));
      return;
    }
    const total = end + headerEnd.length + parsed.contentLength;
    if (this.#buffered.length < total) return;
    if (this.#buffered.length > total) {
      this.#close(new Error("bytes after the answer"));
      return;
    }
    this.#buffered = Buffer.alloc(0);
    const waiter = this.#waiter;
    this.#waiter = null;
    if (parsed.close) this.#close(null);
    waiter?.resolve({ status: parsed.status, location: parsed.location });
  }

  #close(error: Error | null): void {
    if (!this.#closed) {
      this.#closed = true;
      this.socket.destroy();
    }
    const waiter = this.#waiter;
    this.#waiter = null;
    waiter?.reject(error ?? new Error("connection closed"));
  }
}

type Head = {
  readonly status: number;
  readonly contentLength: number;
  readonly location: string | undefined;
  readonly close: boolean;
};

/** The status line and the three headers the load reads; a string says what did not parse. */
function parseHead(head: string): Head | string {
  const lines = head.split("\r\n");
  const status = Number(lines[0]?.slice(9, 12));
  if (!lines[0]?.startsWith("HTTP/1.1 ") || !Number.isInteger(status)) {
    return `not an HTTP/1.1 status line: ${lines[0]}`;
  }
  let contentLength = -1;
  let location: string | undefined;
  let close = false;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(":");
    const name = line.slice(0, colon).toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === "content-length") contentLength = Number(value);
    else if (name === "location") location = value;
    else if (name === "connection") close = value.toLowerCase() === "close";
  }
  if (!Number.isSafeInteger(contentLength) || contentLength < 0) {
    return "an answer without Content-Length";
  }
  return { status, contentLength, location, close };
}

/** Where an origin's connections go, parsed once. */
type Server = { readonly hostname: string; readonly port: number; readonly host: string };

/** Pooled keep-alive connections to any number of servers (`http://host:port` origins). */
export class LeanHttpClient {
  readonly #idle = new Map<string, Connection[]>();
  readonly #all = new Set<Connection>();
  readonly #servers = new Map<string, Server>();

  /** Sends one request to `origin` (`http://127.0.0.1:8080`) and reads its answer. */
  async request(
    origin: string,
    method: string,
    path: string,
    body: Buffer | null,
  ): Promise<LeanAnswer> {
    const server = this.#server(origin);
    const length = body === null ? "" : `Content-Length: ${body.length}\r\n`;
    const head = `${method} ${path} HTTP/1.1\r\nHost: ${server.host}\r\n${length}\r\n`;
    const pooled = this.#take(origin);
    try {
      return await this.#send(origin, pooled ?? this.#open(server), head, body);
    } catch (error) {
      // A reused connection the server closed while it was idle: once more on a fresh one.
      if (pooled === null || pooled.answered) throw error;
      return await this.#send(origin, this.#open(server), head, body);
    }
  }

  async #send(origin: string, connection: Connection, head: string, body: Buffer | null) {
    try {
      const answer = await connection.request(head, body);
      this.#give(origin, connection);
      return answer;
    } finally {
      if (connection.closed) this.#all.delete(connection);
    }
  }

  #server(origin: string): Server {
    let server = this.#servers.get(origin);
    if (server === undefined) {
      const url = new URL(origin);
      server = { hostname: url.hostname, port: Number(url.port), host: url.host };
      this.#servers.set(origin, server);
    }
    return server;
  }

  /** Closes every connection. */
  close(): void {
    for (const connection of this.#all) connection.socket.destroy();
    this.#all.clear();
    this.#idle.clear();
  }

  #open(server: Server): Connection {
    const connection = new Connection(server.hostname, server.port);
    this.#all.add(connection);
    return connection;
  }

  #take(origin: string): Connection | null {
    const idle = this.#idle.get(origin);
    for (let connection = idle?.pop(); connection !== undefined; connection = idle?.pop()) {
      if (!connection.closed) return connection;
      this.#all.delete(connection);
    }
    return null;
  }

  #give(origin: string, connection: Connection): void {
    if (connection.closed) {
      this.#all.delete(connection);
      return;
    }
    connection.answered = false;
    const idle = this.#idle.get(origin);
    if (idle === undefined) this.#idle.set(origin, [connection]);
    else idle.push(connection);
  }
}
