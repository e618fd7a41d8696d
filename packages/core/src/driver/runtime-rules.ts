// The runtime's rules that protect data, as a seam: the shipped runtime always uses `shippedRules`;
// the simulator's planted-defect suite passes a variant with one rule broken, to prove that a
// seed search catches it (the project's rule: every rule of the driver that protects data is one
// the simulator can break and catch). Not a plug-in point for applications.

import type { PersistEffect } from "../effect.js";
import type { Persisted } from "../entry.js";
import type { ReadConsistency } from "../event.js";
import type { Index, Term } from "../ids.js";
import type { PersistBatch } from "../interfaces.js";
import { objectList, pushAll } from "../internal/lists.js";
import type { Message } from "../message.js";
import { appliesReady } from "./early-apply.js";
import { lastWritten, mergePersistEffects } from "./merge-persist.js";
import type { ApplyEffect, RestoreEffect } from "./turn-work.js";

/**
 * Where the runtime's inbox stands when a read arrives (runtime.ts): `generation` counts the times
 * a turn took the inbox, `ticksQueued` the ticks queued so far.
 */
export type InboxMark = { readonly generation: number; readonly ticksQueued: number };

/**
 * The runtime's data-protecting rules, kept apart so the simulator can plant a broken one and show
 * that it is caught.
 */
export type RuntimeRules = {
  /** Group commit: the one batch equivalent to writing the turn's persist effects in order. */
  readonly merge: (effects: readonly PersistEffect[]) => PersistBatch | null;
  /** The log position a written batch makes durable: what `persisted` tells the core. */
  readonly lastWritten: (batch: PersistBatch) => { index: Index; term: Term } | null;
  /**
   * When the runtime may tell the core a write is durable and send the messages that waited for
   * it (votes, acknowledgements: Raft paper Figure 2, "respond after persisting"): only once the
   * write holding them is durable (`true`), not when it starts (`persisted: false`) nor when they
   * are stepped (`release: false`). The leader counts itself in a quorum by `persisted` (thesis
   * §10.2.1) and steps acknowledgements while its write is in flight (write-pipeline.ts), so
   * telling it early lets it commit what is on one disk only.
   */
  readonly durableAfterWrite: { readonly persisted: boolean; readonly release: boolean };
  /**
   * The messages a write releases once durable: the `then` of the persist effects it holds
   * (`written`), never those of the effects stepped while it was in flight (`unwritten`), which
   * vouch for a write not even started (write-pipeline.ts).
   */
  readonly releasedBy: (
    written: readonly PersistEffect[],
    unwritten: readonly PersistEffect[],
  ) => readonly Message[];
  /**
   * Whether a message the core holds for its write (a persist effect's `then`) may leave before
   * that write is durable, `stable` being the last log index on this node's disk that the writes
   * pending leave there (write-pipeline.ts): only a candidate's RequestVote whose last log index
   * is at or below it. The term and self-vote it carries are this node's own business: it acts
   * on winning only once its term is durable (a leader of a term not yet on its disk steps and
   * sends nothing, term-barrier.ts), as etcd's raft counts its own vote only after its storage
   * write. But the log it claims must already be on disk: a grant answers that claim, and after a
   * crash that lost the entries claimed, the node may campaign again in the same term and count
   * the late grant with a shorter log (Leader Completeness). Held, every request waited for the
   * candidate's write, a window in which a node with a stale log and a fast clock campaigned
   * again, election after election (simulator seed 3428: no PreVote, one node down for good, 130
   * ticks without a leader after the heal).
   */
  readonly requestsVoteBeforeWrite: (message: Message, stable: Index) => boolean;
  /**
   * How many of the leading applies waiting may run now, given the last log index that is durable
   * or being written and stays so during the writes pending (early-apply.ts): only entries on this
   * node's disk or in its write in flight; a restore waits for the write that installs its
   * snapshot (held-work.ts).
   */
  readonly appliesReady: (
    applies: readonly (ApplyEffect | RestoreEffect)[],
    stable: Index,
  ) => number;
  /**
   * Whether a node that became candidate or leader of term `acting` may step events and send
   * messages while its disk holds term `durable`: only once `acting` is durable (term-barrier.ts).
   * Otherwise a single voter that wins its own election leads a term a crash can still take back,
   * and after the restart leads that term again with other entries at the same indexes; and a
   * candidate counts grants to requests sent before its write, wins, and after a crash that lost
   * its term votes for another candidate of that term.
   */
  readonly actsInTerm: (acting: Term, durable: Term) => boolean;
  /** What the core starts from after a restart: what storage loaded, exactly. */
  readonly recovered: (persisted: Persisted) => Persisted;
  /** The index a snapshot taken now covers: the last applied entry, which its data includes. */
  readonly snapshotIndex: (appliedIndex: Index) => Index;
  /**
   * Whether a read of `consistency` arriving at inbox mark `now` may share the core read queued at
   * mark `queued` (reads.ts): only if no turn has taken that event yet. Once the core stepped it,
   * its quorum round may have left before the new read arrived, and answering the read by that
   * round is not linearizable (thesis §6.4 step 3). A lease read also needs every tick queued
   * before it counted when the core checks the lease (§6.4.1: lease time is real time): a core
   * read queued before those ticks is stepped before them, on a lease that may have run out
   * since (a stalled apply or a paused process queues many, while another leader commits).
   */
  readonly readJoins: (consistency: ReadConsistency, queued: InboxMark, now: InboxMark) => boolean;
};

/** The rules `createNode` and the simulator run unless a test replaces one. */
export const shippedRules: RuntimeRules = {
  merge: mergePersistEffects,
  lastWritten,
  durableAfterWrite: { persisted: true, release: true },
  releasedBy: (written) => {
    const messages = objectList<Message>();
    for (let i = 0; i < written.length; i++) pushAll(messages, written[i]!.then);
    return messages;
  },
  requestsVoteBeforeWrite: (message, stable) =>
    message.type === "requestVote" && !message.preVote && message.lastLogIndex <= stable,
  appliesReady,
  actsInTerm: (acting, durable) => acting <= durable,
  recovered: (persisted) => persisted,
  snapshotIndex: (appliedIndex) => appliedIndex,
  readJoins: (consistency, queued, now) =>
    queued.generation === now.generation &&
    (consistency === "readIndex" || queued.ticksQueued === now.ticksQueued),
};
