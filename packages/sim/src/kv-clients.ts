import type { KvInput, KvOutput } from "@flotilla/kv-model";
import { encodeKvCommand } from "@flotilla/kv-model";
import type { Prng } from "@flotilla/transport-memory";
import type { ClientEventKind, ClientHost, ClientOptions } from "./kv-client-host.js";
import { nextKvInput, rememberKvOutput } from "./kv-workload.js";
import type { HistoryOperation } from "./linearizability/history.js";

// The clients of the simulated key-value service. Each runs one operation at a time: put, get
// or compare-and-set on a small set of keys (contention is the point), sent to the node it
// believes leads. The recorded history is what a real client could know, nothing more:
// - the invocation time is when the client decided to act, the completion time when the reply
//   reached it, both in virtual ms;
// - a request refused by a down node, rejected with notLeader, or whose log slot was taken by
//   another entry (the slot (index, term) it was accepted at can then never commit) definitely
//   did not take effect: the client retries, hinted leader first, within the same operation;
// - a request accepted whose node crashed, or that got no answer before the operation timeout,
//   may or may not have taken effect: it is recorded as indeterminate (Porcupine's "info").

type Reply =
  | { readonly kind: "ok"; readonly output: KvOutput }
  | { readonly kind: "retry"; readonly leader: number | null; readonly reason: string };

type Operation = {
  readonly seq: number;
  readonly input: KvInput;
  readonly data: Uint8Array;
  readonly invokedAtMs: number;
  /** Invoked after the heal: it must complete, or the run fails on liveness. */
  readonly mustComplete: boolean;
  attempt: number;
  node: number;
  /** The log slot of the current attempt once a leader accepted it. */
  accepted: { readonly index: number; readonly term: number } | null;
  /** The current attempt reached a node, which has not answered yet: it may be in its log. */
  proposed: boolean;
  reply: Reply | null;
};

type Client = {
  readonly name: string;
  readonly prng: Prng;
  leaderGuess: number;
  seq: number;
  op: Operation | null;
  /** Operations completed that were invoked after the heal. */
  completedAfterHeal: number;
  readonly lastSeen: Map<string, string | null>;
};

export class KvClients {
  readonly history: HistoryOperation[] = [];
  /** Set when an operation that had to complete timed out: a liveness failure. */
  livenessFailure: string | null = null;
  readonly #host: ClientHost;
  readonly #options: ClientOptions;
  readonly #clients: Client[];
  /** Per node: log index -> clients waiting for that slot to be applied (one per term). */
  readonly #waiting: Map<number, number[]>[];
  /**
   * Proposals handed to a node and not yet accepted or rejected, by id -> client. A node answers
   * at the end of its turn, which may wait on its disk: the answer comes back later.
   */
  readonly #proposing = new Map<string, number>();
  #healed = false;
  #quota = Number.POSITIVE_INFINITY;

  constructor(host: ClientHost, options: ClientOptions, prng: Prng) {
    this.#host = host;
    this.#options = options;
    this.#clients = Array.from({ length: options.clientCount }, (_, i) => ({
      name: `c${i + 1}`,
      prng: prng.fork(`c${i + 1}`),
      leaderGuess: i % host.nodeCount,
      seq: 0,
      op: null,
      completedAfterHeal: 0,
      lastSeen: new Map(),
    }));
    this.#waiting = Array.from({ length: host.nodeCount }, () => new Map());
  }

  start(): void {
    this.#clients.forEach((client, i) => {
      this.#scheduleInvoke(i, client);
    });
  }

  /** The liveness phase begins: from now on every operation must complete. */
  healed(operationsPerClient: number): void {
    this.#healed = true;
    this.#quota = operationsPerClient;
    // Idle clients start at once so the liveness phase always has work to complete.
    this.#clients.forEach((client, i) => {
      if (client.op === null) this.#host.schedule(this.#host.nowMs(), "invoke", i, client.seq);
    });
  }

  /** True once every client completed its quota of operations invoked after the heal. */
  get livenessDone(): boolean {
    return this.#healed && this.#clients.every((c) => c.completedAfterHeal >= this.#quota);
  }

  /** A summary for a liveness failure: who is still waiting on what. */
  describeProgress(): string {
    return this.#clients
      .map(
        (c) =>
          `${c.name} ${c.completedAfterHeal}/${this.#quota}${c.op ? ` (op ${c.op.seq} attempt ${c.op.attempt} at n${c.op.node + 1}${c.op.accepted ? ` accepted ${c.op.accepted.index}/${c.op.accepted.term}` : ""})` : ""}`,
      )
      .join(", ");
  }

  on(kind: ClientEventKind, client: number, token: number): void {
    const c = this.#clients[client];
    if (c === undefined) throw new RangeError(`no client #${client}`);
    switch (kind) {
      case "invoke": {
        this.#invoke(client, c, token);
        return;
      }
      case "arrive": {
        this.#arrive(client, c, token);
        return;
      }
      case "reply": {
        this.#reply(client, c, token);
        return;
      }
      case "timeout": {
        this.#timeout(c, token);
        return;
      }
      default: {
        const never: never = kind;
        throw new TypeError(`unknown client event ${JSON.stringify(never)}`);
      }
    }
  }

  accepted(id: string, node: number, index: number, term: number): void {
    const client = this.#answered(id);
    if (client === null) return;
    const op = this.#clients[client]?.op as Operation;
    op.accepted = { index, term };
    const waiting = this.#waiting[node] as Map<number, number[]>;
    const clients = waiting.get(index);
    if (clients === undefined) waiting.set(index, [client]);
    else clients.push(client);
  }

  rejected(id: string, leader: number | null, reason: string): void {
    const client = this.#answered(id);
    if (client === null) return;
    this.#replyLater(client, { kind: "retry", leader, reason });
  }

  /** The client whose current attempt proposal `id` is, now answered; null if stale. */
  #answered(id: string): number | null {
    const client = this.#proposing.get(id);
    if (client === undefined) return null;
    this.#proposing.delete(id);
    const op = this.#clients[client]?.op;
    if (op == null || attemptId(this.#clients[client] as Client, op) !== id) return null;
    op.proposed = false;
    return client;
  }

  /**
   * `node` applied (index, term) with this output (null: not a command); answers the client
   * waiting on that slot: its result if the slot holds its entry, a retry if another entry won it.
   * Clients waiting on later slots of earlier terms learn now that theirs are lost too (see
   * #answerLostSlots): without that, a proposal accepted by a deposed leader waited until some
   * later traffic filled its index, for ever when its client was the only one (seeds 459, 1143).
   */
  applied(node: number, index: number, term: number, output: KvOutput | null): void {
    const waiting = this.#waiting[node];
    if (waiting === undefined || waiting.size === 0) return;
    const clients = waiting.get(index);
    if (clients !== undefined) {
      waiting.delete(index);
      for (const client of clients) {
        const op = this.#clients[client]?.op;
        if (op?.accepted?.index !== index || op.node !== node) continue;
        this.#replyLater(
          client,
          op.accepted.term === term && output !== null
            ? { kind: "ok", output }
            : { kind: "retry", leader: null, reason: `slot ${index} taken by term ${term}` },
        );
      }
    }
    this.#answerLostSlots(node, index, term);
  }

  /**
   * `node` restored a snapshot of everything committed up to (index, term), instead of applying
   * those entries. A client waiting there on a slot the snapshot covers can never learn whether
   * its entry made it (the driver's OutcomeUnknownError): indeterminate. Later slots of earlier
   * terms are lost, as after an apply.
   */
  restored(node: number, index: number, term: number): void {
    const waiting = this.#waiting[node];
    if (waiting === undefined || waiting.size === 0) return;
    for (const [slot, clients] of [...waiting]) {
      if (slot > index) continue;
      waiting.delete(slot);
      for (const client of clients) {
        const c = this.#clients[client] as Client;
        if (c.op?.accepted?.index === slot && c.op.node === node) {
          this.#giveUp(client, c, `n${node + 1} restored a snapshot over slot ${slot}`, false);
        }
      }
    }
    this.#answerLostSlots(node, index, term);
  }

  /**
   * An entry of `term` is committed at `index`: every slot (i, t) with i > index and t < term is
   * lost. A log holding (i, t) holds terms <= t at every index below i (terms never decrease along
   * a log), and every future leader holds the committed (index, term) (Leader Completeness,
   * §5.4), so no leader can ever hold (i, t) and it never commits.
   */
  #answerLostSlots(node: number, index: number, term: number): void {
    const waiting = this.#waiting[node] as Map<number, number[]>;
    for (const [slot, clients] of [...waiting]) {
      if (slot <= index) continue;
      const lost = clients.filter((client) => {
        const op = this.#clients[client]?.op;
        return op?.accepted?.index === slot && op.node === node && op.accepted.term < term;
      });
      if (lost.length === 0) continue;
      const rest = clients.filter((client) => !lost.includes(client));
      if (rest.length === 0) waiting.delete(slot);
      else waiting.set(slot, rest);
      for (const client of lost) {
        this.#replyLater(client, {
          kind: "retry",
          leader: null,
          reason: `slot ${slot} lost: index ${index} committed in term ${term}`,
        });
      }
    }
  }

  /**
   * Connections to a crashed node break: operations accepted there, or handed to it and not yet
   * answered (the crash may have come between its log write and its answer), become indeterminate.
   */
  nodeCrashed(node: number): void {
    this.#waiting[node]?.clear();
    for (let client = 0; client < this.#clients.length; client++) {
      const c = this.#clients[client] as Client;
      const op = c.op;
      if (op === null || op.node !== node) continue;
      if (op.accepted !== null || op.proposed)
        this.#giveUp(client, c, `n${node + 1} crashed`, true);
    }
  }

  #scheduleInvoke(client: number, c: Client): void {
    const think = c.prng.int(2 * this.#options.thinkMeanMs + 1);
    this.#host.schedule(this.#host.nowMs() + think, "invoke", client, c.seq);
  }

  #invoke(client: number, c: Client, seq: number): void {
    if (c.op !== null || seq !== c.seq) return;
    if (this.#healed && c.completedAfterHeal >= this.#quota) return;
    const input = nextKvInput(c, this.#options.keyCount);
    c.seq++;
    const op: Operation = {
      seq: c.seq,
      input,
      data: encodeKvCommand(input),
      invokedAtMs: this.#host.nowMs(),
      mustComplete: this.#healed,
      attempt: 0,
      node: c.leaderGuess,
      accepted: null,
      proposed: false,
      reply: null,
    };
    c.op = op;
    // After the heal an operation has the rest of the liveness budget, not its own timeout: the
    // timeout is a client's patience while faults rage, but the budget is what the cluster is
    // promised to converge in, and the run fails at its end if the operation is still open. An
    // election after the heal may legitimately outlast the timeout (seeds 456, 1260: no
    // PreVote, nodes at diverged terms depose each new leader), and failing the operation there
    // would test a tighter bound than the one documented.
    if (!op.mustComplete) {
      this.#host.schedule(
        op.invokedAtMs + this.#options.operationTimeoutMs,
        "timeout",
        client,
        op.seq,
      );
    }
    this.#sendAttempt(client, c, op, 0);
  }

  #sendAttempt(client: number, c: Client, op: Operation, delayMs: number): void {
    op.attempt++;
    op.node = c.leaderGuess;
    op.accepted = null;
    op.proposed = false;
    op.reply = null;
    const atMs = this.#host.nowMs() + delayMs + this.#latency(c);
    this.#host.schedule(atMs, "arrive", client, op.attempt);
  }

  #arrive(client: number, c: Client, attempt: number): void {
    const op = c.op;
    if (op === null || op.attempt !== attempt) return;
    if (!this.#host.isUp(op.node)) {
      this.#replyLater(client, { kind: "retry", leader: null, reason: `n${op.node + 1} is down` });
      return;
    }
    const id = attemptId(c, op);
    this.#proposing.set(id, client);
    op.proposed = true;
    this.#host.propose(op.node, id, op.data);
  }

  #replyLater(client: number, reply: Reply): void {
    const c = this.#clients[client] as Client;
    if (c.op === null) return;
    c.op.reply = reply;
    this.#host.schedule(this.#host.nowMs() + this.#latency(c), "reply", client, c.op.attempt);
  }

  #reply(client: number, c: Client, attempt: number): void {
    const op = c.op;
    if (op === null || op.attempt !== attempt || op.reply === null) return;
    const reply = op.reply;
    if (reply.kind === "retry") {
      this.#host.trace(`${c.name} op ${op.seq} retry: ${reply.reason}`);
      const hinted = reply.leader !== null && reply.leader !== op.node;
      c.leaderGuess = hinted ? (reply.leader as number) : (op.node + 1) % this.#host.nodeCount;
      this.#sendAttempt(client, c, op, hinted ? 0 : this.#options.retryBackoffMs);
      return;
    }
    const now = this.#host.nowMs();
    this.history.push({
      clientId: c.name,
      input: op.input,
      invokedAt: op.invokedAtMs,
      outcome: "ok",
      completedAt: now,
      output: reply.output,
    });
    rememberKvOutput(c.lastSeen, op.input, reply.output);
    c.leaderGuess = op.node;
    if (op.mustComplete) c.completedAfterHeal++;
    this.#finish(client, c);
  }

  #timeout(c: Client, seq: number): void {
    const op = c.op;
    if (op === null || op.seq !== seq) return;
    this.#giveUp(this.#clients.indexOf(c), c, "timed out", true);
  }

  /**
   * Ends the operation without an answer. `failsLiveness`: whether an operation invoked after
   * the heal ending this way is a liveness failure. A snapshot restored over its slot is not:
   * the cluster made progress, the client just cannot tell whether its entry was part of it, and
   * moves on to an operation that must complete instead.
   */
  #giveUp(client: number, c: Client, why: string, failsLiveness: boolean): void {
    const op = c.op as Operation;
    if (failsLiveness && op.mustComplete && this.livenessFailure === null) {
      this.livenessFailure = `${c.name} op ${op.seq} ${why} after the heal`;
    }
    // Only a request a node took (accepted, or not yet answered) can have taken effect; one
    // refused or never delivered is dropped.
    if (op.accepted !== null || op.proposed) {
      this.history.push({
        clientId: c.name,
        input: op.input,
        invokedAt: op.invokedAtMs,
        outcome: "indeterminate",
      });
    }
    this.#host.trace(
      `${c.name} op ${op.seq} ${op.accepted !== null || op.proposed ? "indeterminate" : "abandoned"}: ${why}`,
    );
    this.#finish(client, c);
  }

  #finish(client: number, c: Client): void {
    c.op = null;
    this.#scheduleInvoke(client, c);
  }

  #latency(c: Client): number {
    return c.prng.intBetween(this.#options.latencyMinMs, this.#options.latencyMaxMs);
  }
}

/** The proposal id of an operation's current attempt. */
function attemptId(c: Client, op: Operation): string {
  return `${c.name}.${op.seq}.${op.attempt}`;
}
