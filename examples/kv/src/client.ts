// A client of the key-value cluster. It sends each request to the server it believes leads and,
// when that goes wrong, asks every server who leads at which term (GET /status, leader-finder.ts)
// and goes there: on a refusal (307, 503), a refused connection, or a request stalled past
// `stallMs` while another server leads. When the servers still name the leader that failed it (a
// crashed, frozen or cut-off leader is named until an election ends; one handing leadership over
// until its successor leads), the client asks them to answer once they know a leader at a higher
// term (leader-wait.ts) rather than polling: a leader fault then costs a client the election and
// one round trip, not a timeout or a polling period.
//
// A failure says whether the operation surely did not happen (`retry: "safe"`) or might have
// (`"unknown"`: the request reached a server and no answer came back, or that leader stepped down
// before its entry committed). A write whose outcome is unknown is never silently retried as if it
// had failed: it is reported (KvRequestError, retry "unknown") unless the caller opted in with
// `retryUnknownWrites` (a PUT of a key nobody else writes is idempotent; a CAS is not). Reads
// change nothing, so they are always retried.

import { findLeader, type LeaderView } from "./leader-finder.js";
import type { MemberRole, MembersChange, MembersView, ServerStatus } from "./server-views.js";

export type KvClientOptions = {
  /** Base URLs of the servers' client APIs, e.g. "http://127.0.0.1:8001". */
  readonly servers: readonly string[];
  /** Give up on one HTTP request after this long (its outcome is then unknown). Default 5000. */
  readonly requestTimeoutMs?: number;
  /** Keep trying other servers and redirects for this long in all. Default 10000. */
  readonly deadlineMs?: number;
  /**
   * A request unanswered this long makes the client ask the servers who leads, then wait for
   * their word of a leader at a higher term; once another server leads, the request is abandoned
   * (its outcome is unknown). A slow leader that still leads is waited for. Default 100 (below
   * the kv server's shortest election timeout, so the servers are asked before a new leader can
   * be elected).
   */
  readonly stallMs?: number;
  /** How long one such wait for word of a new leader lasts before it is asked again. Default 1000. */
  readonly leaderWaitMs?: number;
  /** Retry writes whose outcome is unknown instead of reporting them. Default false. */
  readonly retryUnknownWrites?: boolean;
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

type Answer = { readonly status: number; readonly body: Record<string, unknown> };

/** One HTTP attempt: an answer, a connection nobody accepted, or no answer (outcome unknown). */
type Attempt =
  | { readonly kind: "answer"; readonly answer: Answer; readonly location: string | null }
  | { readonly kind: "refused" }
  | { readonly kind: "noAnswer"; readonly why: string; readonly leader: string | null };

export class KvClient {
  readonly #servers: readonly string[];
  readonly #requestTimeoutMs: number;
  readonly #deadlineMs: number;
  readonly #stallMs: number;
  readonly #leaderWaitMs: number;
  readonly #retryUnknownWrites: boolean;
  /** The server that last answered as leader (or that a redirect or status named): tried first. */
  #preferred: string | null = null;
  /** The highest term at which the servers named a leader to this client. */
  #term = 0;
  #next = 0;

  constructor(options: KvClientOptions) {
    if (options.servers.length === 0) throw new TypeError("KvClient: no servers given");
    this.#servers = options.servers.map((s) => s.replace(/\/+$/, ""));
    this.#requestTimeoutMs = options.requestTimeoutMs ?? 5000;
    this.#deadlineMs = options.deadlineMs ?? 10_000;
    this.#stallMs = options.stallMs ?? 100;
    this.#leaderWaitMs = options.leaderWaitMs ?? 1000;
    this.#retryUnknownWrites = options.retryUnknownWrites ?? false;
  }

  /**
   * The value of `key`, read linearizably: by ReadIndex (default), a lease, or through the log
   * (`consistency`, the server's GET ?consistency=).
   */
  async get(
    key: string,
    consistency: "readIndex" | "lease" | "log" = "readIndex",
  ): Promise<string | null> {
    const query = consistency === "readIndex" ? "" : `?consistency=${consistency}`;
    const answer = await this.#request("GET", `${keyPath(key)}${query}`);
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

  /** The leader's view of the membership, with every member's addresses (GET /members). */
  async members(): Promise<MembersView> {
    return (await this.#request("GET", "/members", undefined, { leaderOnly: true }))
      .body as MembersView;
  }

  /**
   * Adds node `id`, reachable at `raft` (UDP) and `api` (HTTP), as a voter once it caught up with
   * the leader's log, or as a learner; resolves with the membership after the change.
   */
  async addMember(
    id: string,
    addresses: { readonly raft: string; readonly api: string },
    options: { readonly learner?: boolean } = {},
  ): Promise<MembersChange> {
    const body = JSON.stringify({ id, ...addresses, learner: options.learner === true });
    const role = options.learner === true ? "learner" : "voter";
    return this.#change(id, role, () => this.#request("POST", "/members", body));
  }

  /** Makes learner `id` a voter once it caught up with the leader's log. */
  async promoteMember(id: string): Promise<MembersChange> {
    return this.#change(id, "voter", () => this.#request("POST", `${memberPath(id)}/promote`));
  }

  /** Removes voter or learner `id` from the cluster. */
  async removeMember(id: string): Promise<MembersChange> {
    return this.#change(id, null, () => this.#request("DELETE", memberPath(id)));
  }

  /**
   * Runs a membership change. One whose answer was lost (a leader change mid-request, often that
   * of a leader that removed itself, or a busy follower given up on) may or may not have happened,
   * and unlike a write it can be looked up and retried: when the leader's configuration (not
   * joint) shows `id` in the role asked for, the change is done; otherwise it is sent again, which
   * is safe, since a change already made is refused by name (ALREADY_MEMBER, UNKNOWN_MEMBER,
   * NOT_LEARNER), never applied twice. NB: the leader's configuration in force, which a leader
   * that is about to lose its place may not have committed.
   */
  async #change(
    id: string,
    wanted: MemberRole | null,
    send: () => Promise<Answer>,
  ): Promise<MembersChange> {
    for (let attempt = 1; ; attempt++) {
      try {
        return (await send()).body as MembersChange;
      } catch (error) {
        if (!(error instanceof KvRequestError)) throw error;
        // A first refusal is the answer; after a lost answer, a refusal may be our change's doing.
        if (error.retry !== "unknown" && attempt === 1) throw error;
        const view = await this.members().catch(() => null);
        const role = view?.members.find((m) => m.id === id)?.role ?? null;
        if (view !== null && !view.joint && role === wanted) {
          return { id, role, membership: view.membership };
        }
        if (error.retry !== "unknown" || attempt === 3) throw error;
      }
    }
  }

  /**
   * Asks the leader to hand leadership to node `to` (POST /admin/transfer); resolves once `to`
   * leads. Fails with code TRANSFER_REFUSED (`to` is not a voter, say) or TRANSFER_FAILED (it did
   * not take over in time; the old leader leads on).
   */
  async transfer(to: string): Promise<void> {
    // Not abandoned when another server starts leading: that is what it waits for. Retried like
    // a read: asking again once `to` leads is answered 200 at once.
    await this.#request("POST", "/admin/transfer", JSON.stringify({ to }), { transfer: true });
  }

  /** One server's own view (no redirect). */
  async status(server: string): Promise<ServerStatus> {
    const response = await fetch(`${server.replace(/\/+$/, "")}/status`, {
      signal: AbortSignal.timeout(this.#requestTimeoutMs),
    });
    if (!response.ok) throw new KvRequestError(`status: HTTP ${response.status}`, "safe", "HTTP");
    return (await response.json()) as ServerStatus;
  }

  async #request(
    method: string,
    path: string,
    body?: string,
    options: { readonly leaderOnly?: boolean; readonly transfer?: boolean } = {},
  ): Promise<Answer> {
    const deadline = performance.now() + this.#deadlineMs;
    const retryUnknown = method === "GET" || options.transfer === true || this.#retryUnknownWrites;
    let last = "no server tried";
    let redirects = 0;
    /** The server that just failed this request: a lookup naming it waits for a newer leader. */
    let failed: string | null = null;
    while (performance.now() < deadline) {
      const server: string = this.#preferred ?? (await this.#locate(failed, deadline));
      failed = null;
      const attempt = await this.#attempt(server, method, path, body, options.transfer !== true);
      if (attempt.kind === "refused") {
        // Nothing listens there: the request never reached a server. Ask who leads.
        last = `${server}: connection refused`;
        this.#preferred = null;
        failed = server;
        continue;
      }
      if (attempt.kind === "noAnswer") {
        last = `${server}: ${attempt.why}`;
        this.#preferred = attempt.leader;
        failed = server;
        if (!retryUnknown) throw new KvRequestError(last, "unknown", "NO_ANSWER");
        continue;
      }
      const { answer, location } = attempt;
      if (options.leaderOnly === true && answer.body.role !== "leader" && answer.status === 200) {
        // Any server answers this; the leader's answer is the one to trust. Ask who leads.
        last = `${server}: not the leader`;
        this.#preferred = typeof answer.body.leaderUrl === "string" ? answer.body.leaderUrl : null;
        await pause(20);
        continue;
      }
      if (
        answer.status === 200 ||
        (answer.status === 404 && method === "GET" && path !== "/members")
      ) {
        this.#preferred = server;
        return answer;
      }
      if (answer.status === 307) {
        this.#preferred = location === null ? null : new URL(location).origin;
        last = `${server}: redirected to ${location}`;
        // Views of who leads may be stale for a moment after an election: do not spin on them.
        redirects += 1;
        if (redirects > 2) await pause(20);
        continue;
      }
      const retry = answer.body.retry === "safe" ? "safe" : "unknown";
      const code =
        typeof answer.body.error === "string" ? answer.body.error : `HTTP_${answer.status}`;
      last = `${server}: ${code} ${String(answer.body.message ?? "")}`.trim();
      if (answer.status < 500) throw new KvRequestError(last, retry, code);
      if (retry === "unknown" && !retryUnknown) throw new KvRequestError(last, retry, code);
      // No leader there, or it stepped down: go where it points, else ask everyone. A leader
      // handing leadership over names nobody: the next one leads in a round trip or two.
      const hint = answer.body.leaderUrl;
      this.#preferred = typeof hint === "string" && hint !== server ? hint : null;
      failed = server;
    }
    throw new KvRequestError(
      `gave up after ${this.#deadlineMs} ms; last: ${last}`,
      "safe",
      "DEADLINE",
    );
  }

  /**
   * The leader the servers name now. When they name none (an election under way) or the server
   * that just failed this request (`failed`), the leader they will name at a higher term: each
   * holds its answer until it knows one. Failing both, the next server in turn.
   */
  async #locate(failed: string | null, deadline: number): Promise<string> {
    const now = await this.#findLeader();
    if (now !== null && now.url !== failed) return now.url;
    const waitMs = Math.round(Math.min(this.#leaderWaitMs, deadline - performance.now()));
    const next = waitMs > 0 ? await this.#findLeader({ term: this.#term, waitMs }) : null;
    if (next !== null && next.url !== failed) return next.url;
    await pause(20);
    return next?.url ?? this.#rotate();
  }

  /** Asks every server who leads (leader-finder.ts); remembers the highest term named. */
  async #findLeader(
    after?: { readonly term: number; readonly waitMs: number },
    signal?: AbortSignal,
  ): Promise<LeaderView | null> {
    const view = await findLeader(this.#servers, {
      timeoutMs: this.#stallMs,
      ...(after === undefined ? {} : { after }),
      ...(signal === undefined ? {} : { signal }),
    });
    if (view !== null && view.term > this.#term) this.#term = view.term;
    return view;
  }

  /**
   * Sends one request. With `watchStall`, once it is unanswered for `stallMs`, it asks who leads,
   * then waits for the servers' word of a leader at a higher term; once another server leads, it
   * abandons the request: its outcome is unknown (it may still commit).
   */
  async #attempt(
    server: string,
    method: string,
    path: string,
    body: string | undefined,
    watchStall: boolean,
  ): Promise<Attempt> {
    const abandon = new AbortController();
    const signal = AbortSignal.any([abandon.signal, AbortSignal.timeout(this.#requestTimeoutMs)]);
    let leader: string | null = null;
    const answered = new AbortController();
    const watch = async () => {
      let after: { readonly term: number; readonly waitMs: number } | undefined;
      while (!answered.signal.aborted) {
        const view = await this.#findLeader(after, answered.signal);
        if (answered.signal.aborted) return;
        if (view !== null && view.url !== server) {
          leader = view.url;
          abandon.abort();
          return;
        }
        // Still this server (or nobody): wait for word of a leader past the term seen. Nobody
        // answering at all comes back at once: do not spin on it.
        if (view === null) await pause(20);
        after = { term: Math.max(view?.term ?? 0, this.#term), waitMs: this.#leaderWaitMs };
      }
    };
    const timer = watchStall ? setTimeout(() => void watch(), this.#stallMs) : undefined;
    try {
      const response = await fetch(`${server}${path}`, {
        method,
        redirect: "manual",
        signal,
        ...(body === undefined ? {} : { body }),
      });
      const answer: Answer = { status: response.status, body: await readJson(response) };
      return { kind: "answer", answer, location: response.headers.get("location") };
    } catch (error) {
      if (refused(error)) return { kind: "refused" };
      const why = leader === null ? describe(error) : `no answer while ${leader} leads`;
      return { kind: "noAnswer", why, leader };
    } finally {
      clearTimeout(timer);
      answered.abort();
    }
  }

  #rotate(): string {
    const server = this.#servers[this.#next % this.#servers.length] as string;
    this.#next += 1;
    return server;
  }
}

function memberPath(id: string): string {
  if (id === "") throw new TypeError("a node id must not be empty");
  return `/members/${encodeURIComponent(id)}`;
}

function keyPath(key: string): string {
  if (key === "") throw new TypeError("a key must not be empty");
  return `/kv/${encodeURIComponent(key)}`;
}

/** The body as JSON; a body cut short throws (the caller's signal aborted, say). */
async function readJson(response: Response): Promise<Record<string, unknown>> {
  const text = await response.text();
  try {
    const body: unknown = JSON.parse(text);
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
