// A client of the key-value cluster: tries the servers it was given, follows a follower's 307 to
// the leader, and moves on when a server is down or has no leader, until its deadline. A failure
// says whether the operation surely did not happen (`retry: "safe"`) or might have ("unknown":
// the request reached a server and no answer came back).

export type KvClientOptions = {
  /** Base URLs of the servers' client APIs, e.g. "http://127.0.0.1:8001". */
  readonly servers: readonly string[];
  /** Give up on one HTTP request after this long (its outcome is then unknown). Default 5000. */
  readonly requestTimeoutMs?: number;
  /** Keep trying other servers and redirects for this long in all. Default 10000. */
  readonly deadlineMs?: number;
};

export class KvRequestError extends Error {
  override name = "KvRequestError";
  constructor(
    message: string,
    /** "safe": the operation did not happen; "unknown": it may have. */
    readonly retry: "safe" | "unknown",
    readonly code: string,
  ) {
    super(message);
  }
}

export type ServerStatus = {
  readonly id: string;
  readonly role: string;
  readonly term: number;
  readonly leader: string | null;
  readonly leaderUrl: string | null;
  readonly commitIndex: number;
  readonly appliedIndex: number;
  readonly snapshotIndex: number;
  readonly pid: number;
  /** The Raft transport's datagrams: sent, received, dropped by fault injection or otherwise. */
  readonly transport: {
    readonly sentDatagrams: number;
    readonly receivedDatagrams: number;
    readonly injectedDrops: number;
    readonly sendDropped: number;
    readonly inboundDropped: number;
  };
  readonly keys: number;
  readonly digest: string;
};

type Answer = { readonly status: number; readonly body: Record<string, unknown> };

export class KvClient {
  readonly #servers: readonly string[];
  readonly #requestTimeoutMs: number;
  readonly #deadlineMs: number;
  /** The server that last answered as leader (or that a redirect named): tried first. */
  #preferred: string | null = null;
  #next = 0;

  constructor(options: KvClientOptions) {
    if (options.servers.length === 0) throw new TypeError("KvClient: no servers given");
    this.#servers = options.servers.map((s) => s.replace(/\/+$/, ""));
    this.#requestTimeoutMs = options.requestTimeoutMs ?? 5000;
    this.#deadlineMs = options.deadlineMs ?? 10_000;
  }

  async get(key: string): Promise<string | null> {
    const answer = await this.#request("GET", keyPath(key));
    return typeof answer.body.value === "string" ? answer.body.value : null;
  }

  async put(key: string, value: string): Promise<void> {
    await this.#request("PUT", keyPath(key), value);
  }

  /** Sets `value` if the current value is `expected` (null: absent); true if it did. */
  async cas(key: string, expected: string | null, value: string): Promise<boolean> {
    const answer = await this.#request(
      "POST",
      `${keyPath(key)}/cas`,
      JSON.stringify({ expected, value }),
    );
    return answer.body.ok === true;
  }

  /** One server's own view (no redirect). */
  async status(server: string): Promise<ServerStatus> {
    const response = await fetch(`${server.replace(/\/+$/, "")}/status`, {
      signal: AbortSignal.timeout(this.#requestTimeoutMs),
    });
    if (!response.ok) throw new KvRequestError(`status: HTTP ${response.status}`, "safe", "HTTP");
    return (await response.json()) as ServerStatus;
  }

  async #request(method: string, path: string, body?: string): Promise<Answer> {
    const deadline = performance.now() + this.#deadlineMs;
    let last = "no server tried";
    let redirects = 0;
    while (performance.now() < deadline) {
      const server = this.#preferred ?? this.#rotate();
      let response: Response;
      try {
        response = await fetch(`${server}${path}`, {
          method,
          redirect: "manual",
          signal: AbortSignal.timeout(this.#requestTimeoutMs),
          ...(body === undefined ? {} : { body }),
        });
      } catch (error) {
        if (!refused(error)) {
          this.#preferred = null;
          throw new KvRequestError(`${server}: ${describe(error)}`, "unknown", "NO_ANSWER");
        }
        // Nothing listens there: the request never reached a server. Try the next one.
        last = `${server}: connection refused`;
        this.#preferred = null;
        await pause(20);
        continue;
      }
      const answer: Answer = { status: response.status, body: await readJson(response) };
      if (answer.status === 307) {
        const location = response.headers.get("location");
        this.#preferred = location === null ? null : new URL(location).origin;
        last = `${server}: redirected to ${location}`;
        // Views of who leads may be stale for a moment after an election: do not spin on them.
        redirects += 1;
        if (redirects > 2) await pause(20);
        continue;
      }
      if (answer.status === 200 || (answer.status === 404 && method === "GET")) {
        this.#preferred = server;
        return answer;
      }
      const retry = answer.body.retry === "safe" ? "safe" : "unknown";
      const code =
        typeof answer.body.error === "string" ? answer.body.error : `HTTP_${answer.status}`;
      last = `${server}: ${code} ${String(answer.body.message ?? "")}`.trim();
      if (retry !== "safe" || answer.status < 500) throw new KvRequestError(last, retry, code);
      this.#preferred = null; // no leader there, or it lost leadership: look elsewhere
      await pause(50);
    }
    throw new KvRequestError(
      `gave up after ${this.#deadlineMs} ms; last: ${last}`,
      "safe",
      "DEADLINE",
    );
  }

  #rotate(): string {
    const server = this.#servers[this.#next % this.#servers.length] as string;
    this.#next += 1;
    return server;
  }
}

function keyPath(key: string): string {
  if (key === "") throw new TypeError("a key must not be empty");
  return `/kv/${encodeURIComponent(key)}`;
}

async function readJson(response: Response): Promise<Record<string, unknown>> {
  try {
    const body: unknown = await response.json();
    return typeof body === "object" && body !== null ? (body as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** True when the connection was refused, so the server cannot have seen the request. */
function refused(error: unknown): boolean {
  const cause = (error as { cause?: { code?: unknown } } | null)?.cause;
  return cause?.code === "ECONNREFUSED";
}

function describe(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  const detail = cause?.code ?? cause?.message;
  const message = error instanceof Error ? error.message : String(error);
  return detail === undefined ? message : `${message} (${String(detail)})`;
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
