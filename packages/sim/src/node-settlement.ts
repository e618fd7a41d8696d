import {
  type Event,
  type Index,
  type MembershipChange,
  MembershipChangeRefusedError,
  type NodeId,
  type Role,
  type Term,
} from "@flotilla/core";
import {
  type InboxMark,
  MembershipChangeRegistry,
  Notifier,
  ProposalRegistry,
  ReadRegistry,
  type ReadSink,
  type RuntimeRules,
  TransferWaiter,
  type TurnReport,
} from "@flotilla/core/runtime";
import type { KvOutput } from "@flotilla/kv-model";
import type { ProposalOutcome } from "./kv-client-host.js";
import type { NodeHost } from "./node-host.js";
import type { NodeKv } from "./node-kv.js";
import { outcomeOf } from "./node-outcomes.js";

/** What a settlement reads of its node when a read is answered. */
export interface SettlingNode {
  readonly index: number;
  readonly role: Role;
  readonly kv: NodeKv;
}

/**
 * createNode's settlement of a simulated node's client requests: the driver's ProposalRegistry,
 * ReadRegistry and Notifier, one set per life of the node (as per process), on the simulator's
 * virtual scheduler. A client is answered when the registry settles its request, by the rules
 * the driver uses; an acknowledged write is reported to the checker at its (index, term).
 */
export class NodeSettlement {
  readonly #host: NodeHost;
  readonly #node: SettlingNode;
  #proposals: ProposalRegistry<KvOutput> | null = null;
  #reads: ReadRegistry | null = null;
  #changes: MembershipChangeRegistry | null = null;
  #notifier: Notifier<KvOutput> | null = null;
  /** Where the registry's proposals were accepted, to tell the checker what was acknowledged. */
  readonly #positions = new Map<string, { readonly index: number; readonly term: number }>();

  constructor(host: NodeHost, node: SettlingNode) {
    this.#host = host;
    this.#node = node;
  }

  /**
   * A new life: fresh registries, as a restarted process has, told what storage loaded. `sink`:
   * where held reads go (the node's runtime); `rules`: the runtime's (a planted defect may break
   * how reads share a core read).
   */
  boot(term: Term, snapshotIndex: number, sink: ReadSink, rules: RuntimeRules | undefined): void {
    const scheduler = this.#host.scheduler;
    this.#proposals = new ProposalRegistry<KvOutput>(scheduler);
    this.#reads = new ReadRegistry(scheduler, sink, rules);
    this.#changes = new MembershipChangeRegistry(scheduler);
    this.#notifier = new Notifier<KvOutput>(
      this.#proposals,
      this.#changes,
      this.#reads,
      new TransferWaiter(scheduler),
      scheduler,
    );
    this.#notifier.loaded(term, snapshotIndex as Index);
    this.#positions.clear();
  }

  /**
   * The process is gone with its pending proposals: the clients learn it from the broken
   * connection (nodeCrashed), and nothing settles them any more.
   */
  down(): void {
    this.#proposals = null;
    this.#changes = null;
    this.#notifier = null;
    this.#positions.clear();
  }

  /**
   * A client's proposal, as `createNode`'s `propose`: registered with the ProposalRegistry, which
   * settles it (and so answers the client). The event to deliver, or null when the node is down.
   */
  propose(clientId: string, data: Uint8Array): Event | null {
    const proposals = this.#proposals;
    if (proposals === null) return null;
    const host = this.#host;
    const { id, promise } = proposals.create(undefined);
    const settled = (outcome: ProposalOutcome) => {
      if (proposals === this.#proposals) host.clients.settled(clientId, outcome);
    };
    promise.then(
      (output) => {
        const position = this.#positions.get(id);
        this.#positions.delete(id);
        if (position !== undefined && proposals === this.#proposals) {
          host.checker.acknowledged(this.#node.index, position.index, position.term);
        }
        settled({ kind: "ok", output });
      },
      (error: unknown) => {
        this.#positions.delete(id);
        const outcome = outcomeOf(error, (leader: NodeId | null) => host.nodeIndex(leader));
        if (outcome === null) host.fail(error);
        else settled(outcome);
      },
    );
    return { type: "propose", id, data };
  }

  /**
   * A client's read of `key` without a log write, as `createNode`'s `read`: registered with the
   * ReadRegistry, which settles it once the core says it is ready and the node applied up to its
   * read index; then answered from the state machine. The event to deliver, or null (the node is
   * down, or the read joined a core read still in the inbox at mark `inbox`: reads.ts).
   */
  read(
    clientId: string,
    key: string,
    consistency: "readIndex" | "lease",
    inbox: InboxMark,
  ): Event | null {
    const reads = this.#reads;
    if (reads === null) return null;
    const host = this.#host;
    const node = this.#node;
    const { promise, event } = reads.create(undefined, consistency, inbox);
    promise.then(
      () => {
        if (reads !== this.#reads) return;
        if (node.role !== "leader") host.clients.readsServed.byFollower++;
        const value = node.kv.get(key);
        host.clients.settled(clientId, { kind: "ok", output: { op: "get", value } });
      },
      (error: unknown) => {
        const outcome = outcomeOf(error, (leader: NodeId | null) => host.nodeIndex(leader));
        if (outcome === null) host.fail(error);
        else if (reads === this.#reads) host.clients.settled(clientId, outcome);
      },
    );
    return event;
  }

  /**
   * An operator's membership change, as `createNode`'s `changeMembership`: registered with the
   * MembershipChangeRegistry, which settles it by the driver's rules (done once the whole change
   * committed, refused with a typed reason, or unknown). The event to deliver, or null.
   */
  changeMembership(leader: NodeId, change: MembershipChange, force: boolean): Event | null {
    const registered = this.registerChange(change, force);
    if (registered === null) return null;
    const host = this.#host;
    const tally = host.membershipTally;
    registered.promise.then(
      () => tally.completed(leader, change),
      (error: unknown) => {
        if (error instanceof MembershipChangeRefusedError) tally.refused(error.refusal);
        else if (outcomeOf(error, (hint: NodeId | null) => host.nodeIndex(hint)) !== null) {
          tally.unknown();
        } else host.fail(error);
      },
    );
    return registered.event;
  }

  /**
   * A membership change registered with the MembershipChangeRegistry, as `createNode`'s
   * `changeMembership` registers it: the event to deliver and the promise the registry settles,
   * or null when the node is down.
   */
  registerChange(
    change: MembershipChange,
    force: boolean,
  ): { readonly event: Event; readonly promise: Promise<void> } | null {
    const changes = this.#changes;
    if (changes === null) return null;
    const { id, promise } = changes.create(undefined);
    return { event: { type: "changeMembership", id, change, force }, promise };
  }

  /**
   * The end of a turn, as createNode's shell ends it: the Notifier settles the proposals through
   * the ProposalRegistry. Their promises' reactions are microtasks: one more, queued after them
   * through the tracked scheduler, makes the simulator drain them before the next event.
   */
  finish(report: TurnReport<KvOutput>, commit: number): void {
    const { notices, outcomes } = report.work;
    for (const notice of notices) {
      if (notice.type === "proposalAccepted") {
        this.#positions.set(notice.id, { index: notice.index, term: notice.term });
      }
    }
    this.#notifier?.finish(report, commit as Index);
    if (notices.length > 0 || outcomes.length > 0) this.#host.scheduler.queueMicrotask(noop);
  }
}

function noop(): void {}
