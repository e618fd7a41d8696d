import type { KvInput } from "@flotilla/kv-model";
import { encodeKvCommand } from "@flotilla/kv-model";
import type { Prng } from "@flotilla/transport-memory";
import type {
  ClientEventKind,
  ClientHost,
  ClientOptions,
  ProposalOutcome,
} from "./kv-client-host.js";
import { nextKvGet, nextKvInput, rememberKvOutput } from "./kv-workload.js";
import type { HistoryOperation } from "./linearizability/history.js";

// The clients of the simulated key-value service. Each runs one operation at a time: put, get
// or compare-and-set on a small set of keys (contention is the point), sent to the node it
// believes leads. The recorded history is what a real client could know, nothing more:
// - the invocation time is when the client decided to act, the completion time when the reply
//   reached it, both in virtual ms;
// - a request refused by a down node, rejected with notLeader, or whose entry was lost to another
//   leader's definitely did not take effect: the client retries, hinted leader first, within the
//   same operation;
// - a request taken by a node that crashed, whose leader stepped down before it committed, over
//   whose entry a snapshot was restored, or that got no answer before the operation timeout, may
//   or may not have taken effect: it is recorded as indeterminate (Porcupine's "info").
// How a proposal settles is decided by the driver's own ProposalRegistry (@flotilla/core/runtime),
// which each simulated node runs as createNode does: no settlement rule exists twice.
// A get may instead be a read without a log write (SimulationOptions.readShare: the core's `read`
// event, ReadIndex or a lease, some sent to a random node whose core forwards it to the leader:
// `readAnyNodeShare`), settled by the driver's ReadRegistry and answered from that node's state
// machine; refused or cut short it is retried, never indeterminate (it changes nothing).

type Reply = Exclude<ProposalOutcome, { readonly kind: "unknown" }>;

type Operation = {
  readonly seq: number;
  readonly input: KvInput;
  readonly data: Uint8Array;
  readonly invokedAtMs: number;
  /** Invoked after the heal: it must complete, or the run fails on liveness. */
  readonly mustComplete: boolean;
  attempt: number;
  node: number;
  /** The current attempt followed a leader hint. */
  hinted: boolean;
  /** A get served by a read without a log write, and how; null: through the log. */
  readonly read: "readIndex" | "lease" | null;
  /**
   * The current attempt reached a node and may have taken effect: not settled yet, or settled as
   * a success whose reply is still on its way.
   */
  proposed: boolean;
  reply: Reply | null;
};

type Client = {
  readonly name: string;
  readonly prng: Prng;
  /** Draws how gets are read: its own stream, so the operations stay what the seed made them. */
  readonly readPrng: Prng;
  leaderGuess: number;
  /**
   * Where the client last went without a hint. A node that is not told of the leader (a node
   * removed from the configuration hears from no leader any more) may hint at a stale one, and
   * going round from a hinted node could then cycle between the two: going round from here, one
   * node further at each miss, reaches every node.
   */
  rotation: number;
  seq: number;
  op: Operation | null;
  /** Operations completed that were invoked after the heal. */
  completedAfterHeal: number;
  readonly lastSeen: Map<string, string | null>;
};

export class KvClients {
  readonly history: HistoryOperation[] = [];
  /** Gets answered by a read without a log write, by how they were confirmed. */
  readonly readsServed = { readIndex: 0, lease: 0, byFollower: 0 };
  /** Set when an operation that had to complete timed out: a liveness failure. */
  livenessFailure: string | null = null;
  readonly #host: ClientHost;
  readonly #options: ClientOptions;
  readonly #clients: Client[];
  /**
   * Proposals handed to a node and not yet settled, by id -> client. The node settles them the
   * way createNode does (its ProposalRegistry), at the end of a turn or in a later task.
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
      readPrng: prng.fork(`c${i + 1}/reads`),
      leaderGuess: i % host.nodeCount,
      rotation: i % host.nodeCount,
      seq: 0,
      op: null,
      completedAfterHeal: 0,
      lastSeen: new Map(),
    }));
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
          `${c.name} ${c.completedAfterHeal}/${this.#quota}${c.op ? ` (op ${c.op.seq} attempt ${c.op.attempt} at n${c.op.node + 1}${c.op.proposed ? " proposed" : ""})` : ""}`,
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
      case "stall": {
        this.#stalled(client, c, token);
        return;
      }
      default: {
        const never: never = kind;
        throw new TypeError(`unknown client event ${JSON.stringify(never)}`);
      }
    }
  }

  /**
   * Proposal `id` settled (the driver's ProposalRegistry, through the node): the client is answered,
   * retries, or records the operation as indeterminate and moves on (an unknown outcome after the
   * heal is not a liveness failure: the cluster made progress, the client cannot tell whether its
   * entry was part of it, and its next operation must complete instead).
   */
  settled(id: string, outcome: ProposalOutcome): void {
    const client = this.#proposing.get(id);
    if (client === undefined) return;
    this.#proposing.delete(id);
    const c = this.#clients[client] as Client;
    const op = c.op;
    if (op === null || attemptId(c, op) !== id) return;
    if (outcome.kind === "unknown") {
      this.#giveUp(client, c, outcome.reason, false);
      return;
    }
    // A refusal means the entry never took effect; a success did, and until its reply reaches the
    // client (which a timeout may beat) the operation stays one that may have taken effect.
    if (outcome.kind === "retry") op.proposed = false;
    this.#replyLater(client, outcome);
  }

  /**
   * Connections to a crashed node break: operations accepted there, or handed to it and not yet
   * answered (the crash may have come between its log write and its answer), become indeterminate.
   */
  nodeCrashed(node: number): void {
    for (let client = 0; client < this.#clients.length; client++) {
      const c = this.#clients[client] as Client;
      const op = c.op;
      if (op === null || op.node !== node) continue;
      if (op.read !== null && op.proposed) {
        // A read changes nothing: it is simply asked again elsewhere.
        op.proposed = false;
        this.#replyLater(client, { kind: "retry", leader: null, reason: `n${node + 1} crashed` });
        continue;
      }
      if (op.proposed) this.#giveUp(client, c, `n${node + 1} crashed`, true);
    }
  }

  #scheduleInvoke(client: number, c: Client): void {
    const { readOnlyClients, readerThinkMeanMs, thinkMeanMs } = this.#options;
    // Occasional readers only while faults rage: after the heal every client must complete its
    // operations within the liveness budget, which a reader's long waits would eat.
    const reader = !this.#healed && client < readOnlyClients && readerThinkMeanMs > 0;
    const think = c.prng.int(2 * (reader ? readerThinkMeanMs : thinkMeanMs) + 1);
    this.#host.schedule(this.#host.nowMs() + think, "invoke", client, c.seq);
  }

  #invoke(client: number, c: Client, seq: number): void {
    if (c.op !== null || seq !== c.seq) return;
    if (this.#healed && c.completedAfterHeal >= this.#quota) return;
    const { keyCount, readOnlyClients } = this.#options;
    const input = client < readOnlyClients ? nextKvGet(c, keyCount) : nextKvInput(c, keyCount);
    c.seq++;
    const op: Operation = {
      seq: c.seq,
      input,
      read: input.op === "get" ? this.#readMode(client, c) : null,
      data: encodeKvCommand(input),
      invokedAtMs: this.#host.nowMs(),
      mustComplete: this.#healed,
      attempt: 0,
      node: c.leaderGuess,
      hinted: false,
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

  /**
   * How this get is served: through the log, by ReadIndex, or by a lease. A read-only client
   * reads with a lease wherever the cluster allows one (the cheap read it is there for).
   */
  #readMode(client: number, c: Client): Operation["read"] {
    const { readShare, leaseReads, readOnlyClients } = this.#options;
    if (client < readOnlyClients && leaseReads) return "lease";
    if (readShare === 0 || !c.readPrng.chance(readShare)) return null;
    return leaseReads && c.readPrng.chance(0.5) ? "lease" : "readIndex";
  }

  #sendAttempt(client: number, c: Client, op: Operation, delayMs: number): void {
    op.attempt++;
    // Some reads go to a random node (a third unless set): a follower forwards them to its leader.
    const pinned = this.#clients.indexOf(c) < this.#options.readOnlyClients;
    const anyNode =
      op.read !== null && !pinned && c.readPrng.chance(this.#options.readAnyNodeShare);
    op.node = anyNode ? c.readPrng.int(this.#host.nodeCount) : c.leaderGuess;
    op.proposed = false;
    op.reply = null;
    const atMs = this.#host.nowMs() + delayMs + this.#latency(c);
    this.#host.schedule(atMs, "arrive", client, op.attempt);
    const stallMs = this.#options.stallMs;
    if (stallMs > 0) this.#host.schedule(atMs + stallMs, "stall", client, op.attempt);
  }

  /**
   * The attempt got no answer within `stallMs` (ClientOptions): like the example's client, this
   * one asks the servers who leads and goes there. A read is asked again there (it changed
   * nothing); a write the node took may still take effect, so it is recorded as indeterminate and
   * the client's next operation goes there. Nobody else leading: it asks again after as long.
   */
  #stalled(client: number, c: Client, attempt: number): void {
    const op = c.op;
    if (op === null || op.attempt !== attempt || op.reply !== null || !op.proposed) return;
    const leader = this.#host.whoLeads();
    if (leader === null || leader === op.node) {
      const atMs = this.#host.nowMs() + this.#options.stallMs;
      this.#host.schedule(atMs, "stall", client, attempt);
      return;
    }
    c.leaderGuess = leader;
    if (op.read === null) {
      this.#giveUp(client, c, `stalled at n${op.node + 1}, n${leader + 1} leads`, false);
      return;
    }
    this.#host.trace(`${c.name} op ${op.seq} stalled at n${op.node + 1}: to n${leader + 1}`);
    op.hinted = true;
    this.#sendAttempt(client, c, op, 0);
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
    if (op.read !== null && op.input.op === "get") {
      this.#host.read(op.node, id, op.input.key, op.read);
    } else {
      this.#host.propose(op.node, id, op.data);
    }
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
      if (hinted) c.leaderGuess = reply.leader as number;
      else {
        c.rotation = ((op.hinted ? c.rotation : op.node) + 1) % this.#host.nodeCount;
        c.leaderGuess = c.rotation;
      }
      this.#sendAttempt(client, c, op, hinted ? 0 : this.#options.retryBackoffMs);
      op.hinted = hinted;
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
    if (op.read !== null) this.readsServed[op.read]++;
    c.leaderGuess = op.node;
    c.rotation = op.node;
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
    // refused or never delivered is dropped, and so is a read, which has no effect.
    if (op.proposed && op.read === null) {
      this.history.push({
        clientId: c.name,
        input: op.input,
        invokedAt: op.invokedAtMs,
        outcome: "indeterminate",
      });
    }
    this.#host.trace(
      `${c.name} op ${op.seq} ${op.proposed ? "indeterminate" : "abandoned"}: ${why}`,
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
