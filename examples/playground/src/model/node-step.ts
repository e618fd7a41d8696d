import {
  type Entry,
  type Event,
  index,
  type Message,
  type PersistEffect,
  type Persisted,
  type ProposalRejection,
  step,
} from "@flotilla/core";
import { applyKv, decodeKvCommand, decodeKvSnapshot, type KvState } from "@flotilla/kv-model";
import type { SimNode } from "./types.js";

// One node's turn in the playground: step the real core with one event, then do what its effects
// ask, in the order the driver must (docs/architecture.md): persist, send, apply, notify. The disk
// is synchronous, so a write is durable at once: the `then` messages leave with the others and the
// core hears `persisted` straight away, as it hears `applied` after the state machine ran. Those
// follow-up events are stepped here too, so a node's turn ends with nothing left to feed it.

/** What the rest of the world learns from a node's turn. */
export type Notice =
  | {
      readonly kind: "accepted";
      readonly id: string;
      readonly index: number;
      readonly term: number;
    }
  | {
      readonly kind: "rejected";
      readonly id: string;
      readonly reason: ProposalRejection;
      readonly leader: string | null;
    }
  | { readonly kind: "applied"; readonly index: number; readonly term: number };

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
          kv = decodeKvSnapshot(effect.snapshot.data);
          appliedIndex = effect.snapshot.index;
          break;
        case "proposalAccepted":
          notices.push({ kind: "accepted", id: effect.id, index: effect.index, term: effect.term });
          break;
        case "proposalRejected":
          notices.push({
            kind: "rejected",
            id: effect.id,
            reason: effect.reason,
            leader: effect.leader,
          });
          break;
        case "roleChanged":
        case "membershipChanged":
        case "membershipChangeAccepted":
        case "membershipChangeRejected":
        case "peerLostLog":
        case "readReady":
        case "readRejected":
        case "leadershipTransferStarted":
        case "leadershipTransferRefused":
        case "leadershipTransferAborted":
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
