import {
  type Entry,
  type Event,
  index,
  type MembershipRefusal,
  type Message,
  type PersistEffect,
  type Persisted,
  step,
} from "@flotilla/core";
import { applyKv, decodeKvCommand, decodeKvSnapshot, type KvState } from "@flotilla/kv-model";
import { snapshotBytes, snapshotChunk } from "./snapshot-bytes.js";
import type { SimNode } from "./types.js";

// One node's turn in the playground: step the real core with one event, then do what its effects
// ask, in the order the driver must (docs/architecture.md): persist, send, apply, notify. The disk
// is synchronous, so a write is durable at once: the `then` messages leave with the others and the
// core hears `persisted` straight away, as it hears `applied` after the state machine ran. Those
// follow-up events are stepped here too, so a node's turn ends with nothing left to feed it.

/** What the rest of the world learns from a node's turn (the effects a client or operator sees). */
export type Notice =
  /** A proposal or a membership change was appended at (index, term). */
  | {
      readonly kind: "accepted";
      readonly id: string;
      readonly index: number;
      readonly term: number;
    }
  /** A proposal, a membership change or a read was refused; nothing happened. */
  | { readonly kind: "rejected"; readonly id: string; readonly detail: string }
  | { readonly kind: "applied"; readonly index: number; readonly term: number }
  /** Read `id` may be served once the state machine has applied `index` (thesis §6.4). */
  | { readonly kind: "readReady"; readonly id: string; readonly index: number }
  | { readonly kind: "transferStarted"; readonly to: string; readonly term: number }
  | { readonly kind: "transferRefused"; readonly to: string; readonly detail: string }
  | { readonly kind: "transferAborted"; readonly to: string; readonly term: number }
  /** The node's role, term or known leader changed. */
  | { readonly kind: "leaderSeen"; readonly leader: string | null; readonly term: number };

export type NodeTurn = {
  readonly node: SimNode;
  readonly messages: readonly Message[];
  readonly notices: readonly Notice[];
};

export function stepNode(node: SimNode, first: Event): NodeTurn {
  let { state, durable, kv } = node;
  const messages: Message[] = [];
  const notices: Notice[] = [];
  const queue: Event[] = [first];
  for (let event = queue.shift(); event !== undefined; event = queue.shift()) {
    const result = step(state, event);
    state = result.state;
    messages.push(...result.messages);
    let appliedIndex: number | null = null;
    for (const effect of result.effects) {
      switch (effect.type) {
        case "persist": {
          durable = persistInto(durable, effect);
          messages.push(...effect.then);
          const written = lastWritten(effect);
          if (written !== null) queue.push(written);
          break;
        }
        case "apply":
          for (const entry of effect.entries) {
            kv = applyEntry(kv, entry);
            notices.push({ kind: "applied", index: entry.index, term: entry.term });
            appliedIndex = entry.index;
          }
          break;
        case "restore":
          kv = decodeKvSnapshot(snapshotBytes(effect.snapshot));
          appliedIndex = effect.snapshot.index;
          break;
        case "readSnapshotChunk": {
          const { to, snapshot, offset, length } = effect;
          queue.push({
            type: "snapshotChunkRead",
            to,
            snapshotIndex: snapshot.index,
            snapshotTerm: snapshot.term,
            offset,
            data: snapshotChunk(snapshot, offset, length),
          });
          break;
        }
        case "writeSnapshotChunk": // kept by content (snapshot-bytes.ts): the leader's bytes
          break;
        case "proposalAccepted":
          notices.push({ kind: "accepted", id: effect.id, index: effect.index, term: effect.term });
          break;
        case "proposalRejected":
        case "readRejected":
          notices.push({
            kind: "rejected",
            id: effect.id,
            detail: retryAt(effect.reason, effect.leader),
          });
          break;
        case "membershipChangeAccepted":
          notices.push({ kind: "accepted", id: effect.id, index: effect.index, term: effect.term });
          break;
        case "membershipChangeRejected":
          notices.push({ kind: "rejected", id: effect.id, detail: refusalText(effect.refusal) });
          break;
        case "readReady":
          notices.push({ kind: "readReady", id: effect.id, index: effect.index });
          break;
        case "leadershipTransferStarted":
          notices.push({ kind: "transferStarted", to: effect.to, term: effect.term });
          break;
        case "leadershipTransferRefused":
          notices.push({
            kind: "transferRefused",
            to: effect.to,
            detail:
              effect.reason === "notLeader" ? retryAt(effect.reason, effect.leader) : effect.reason,
          });
          break;
        case "leadershipTransferAborted":
          notices.push({ kind: "transferAborted", to: effect.to, term: effect.term });
          break;
        case "roleChanged":
          notices.push({ kind: "leaderSeen", leader: effect.leader, term: effect.term });
          break;
        case "membershipChanged":
        case "peerLostLog":
        case "snapshotWanted": // the playground's disks never lose a snapshot's bytes
        case "dropped":
          break;
        default:
          throw new Error(`unknown effect ${JSON.stringify(effect satisfies never)}`);
      }
    }
    if (appliedIndex !== null) queue.push({ type: "applied", index: index(appliedIndex) });
  }
  return { node: { ...node, state, durable, kv }, messages, notices };
}

function retryAt(reason: string, leader: string | null): string {
  return leader === null ? reason : `${reason}: try ${leader}`;
}

function refusalText(refusal: MembershipRefusal): string {
  switch (refusal.reason) {
    case "notLeader":
      return retryAt(refusal.reason, refusal.leader);
    case "transferring":
      return `${refusal.reason} to ${refusal.to}`;
    case "duplicateNode":
    case "alreadyMember":
    case "unknownNode":
    case "notLearner":
    case "notVoter":
    case "learnerLagging":
      return `${refusal.reason}: ${refusal.id}`;
    case "changePending":
    case "inJoint":
    case "notJoint":
    case "noOperations":
    case "lastVoter":
      return refusal.reason;
    default:
      return refusal satisfies never;
  }
}

function applyEntry(kv: KvState, entry: Entry): KvState {
  // Noop and membership entries are the core's business; they count as applied all the same.
  if (entry.kind !== "command") return kv;
  return applyKv(kv, decodeKvCommand(entry.data)).state;
}

/** The disk: a write lands whole and at once (snapshot, truncation, entries, then hard state). */
function persistInto(durable: Persisted, effect: PersistEffect): Persisted {
  let { snapshot, entries } = durable;
  if (effect.snapshot !== undefined) {
    snapshot = effect.snapshot;
    const after = effect.snapshot.index;
    entries = entries.filter((entry) => entry.index > after);
  }
  if (effect.truncateFrom !== undefined) {
    const from = effect.truncateFrom;
    entries = entries.filter((entry) => entry.index < from);
  }
  if (effect.entries.length > 0) entries = [...entries, ...effect.entries];
  return { hardState: effect.hardState ?? durable.hardState, snapshot, entries };
}

/** The log position a write made durable, for the core's `persisted` event (as the driver does). */
function lastWritten(effect: PersistEffect): Extract<Event, { type: "persisted" }> | null {
  const last = effect.entries.at(-1) ?? effect.snapshot;
  return last === undefined ? null : { type: "persisted", index: last.index, term: last.term };
}
