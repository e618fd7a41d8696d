// The reducer with no driver: a node is a value, `step` turns an event into the next value plus
// messages and effects, and this class carries the effects out in the order the contract demands.
// Storage is a plain array written synchronously, so everything is durable at once; a real
// embedder writes to disk at `persist` and sends `then` only after the write is durable.
// docs/embedding-the-reducer.md shows this file verbatim; bare-reducer.test.ts runs three of them.
import {
  type Effect,
  type Entry,
  type Event,
  init,
  type Message,
  type NodeId,
  type RaftState,
  status,
  step,
} from "@flotilla/core";

export class BareNode {
  state: RaftState;
  /** What storage holds: the log, written by persist effects. */
  readonly log: Entry[] = [];
  /** The state machine: the commands applied, in order. */
  readonly applied: string[] = [];
  /** Messages to deliver, in the order they may leave. */
  readonly outbox: Message[] = [];

  constructor(id: NodeId, voters: readonly NodeId[], seed: number) {
    // `seed` drives the randomised election timeouts: give every node its own.
    this.state = init({ id, voters: [...voters], seed });
  }

  get role() {
    return status(this.state).role;
  }

  /** Steps `event`, then every event its effects feed back (persisted, applied), in order. */
  feed(event: Event): void {
    const queue: Event[] = [event];
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
      const { state, messages, effects } = step(this.state, next);
      this.state = state; // the old state stays valid: keep it to replay or fork
      this.outbox.push(...messages); // safe to send now, before any write
      for (const effect of effects) this.#perform(effect, queue);
    }
  }

  #perform(effect: Effect, queue: Event[]): void {
    switch (effect.type) {
      case "persist": {
        // 1. Durable first (in order: snapshot, truncation, entries, hard state)...
        // (Entry i sits at log[i - 1]: this example never compacts.)
        if (effect.truncateFrom !== undefined) this.log.length = effect.truncateFrom - 1;
        this.log.push(...effect.entries);
        // ...2. then the messages that promise durability (vote grants, append acks)...
        this.outbox.push(...effect.then);
        // ...and tell the core how far the log is durable: a leader counts itself only then.
        const last = effect.entries.at(-1);
        if (last !== undefined)
          queue.push({ type: "persisted", index: last.index, term: last.term });
        return;
      }
      case "apply": {
        // 3. Committed entries, in log order; no-ops and membership entries carry no command.
        for (const entry of effect.entries) {
          if (entry.kind === "command") this.applied.push(new TextDecoder().decode(entry.data));
        }
        const last = effect.entries.at(-1);
        if (last !== undefined) queue.push({ type: "applied", index: last.index });
        return;
      }
      case "restore": // a snapshot from the leader replaces the state machine (none here)
      case "readSnapshotChunk": // leader: read this chunk from storage, feed snapshotChunkRead
      case "writeSnapshotChunk": // follower: store this chunk of a snapshot being received
      case "proposalAccepted": // 4. notifications: settle a client's request...
      case "proposalRejected": // ...or send it to `effect.leader`
      case "roleChanged":
      case "membershipChanged":
      case "membershipChangeAccepted": // a changeMembership request was appended (or refused)
      case "membershipChangeRejected":
      case "peerLostLog": // a follower lost entries it had acknowledged (its disk lied): alert
      case "snapshotWanted": // a follower lost its snapshot's bytes: take one to send it
      case "readReady": // a read is linearizable once applied reaches effect.index
      case "readRejected": // ...or it failed: retry at `effect.leader`
      case "leadershipTransferStarted": // transferLeadership began, was refused, or timed out
      case "leadershipTransferRefused":
      case "leadershipTransferAborted":
      case "dropped": // bad remote input, reported instead of thrown: count it
        return;
      default:
        effect satisfies never; // a new effect type fails to compile here
    }
  }
}

/** Delivers every queued message (and whatever the deliveries send) until the network is quiet. */
export function deliverAll(nodes: ReadonlyMap<NodeId, BareNode>): void {
  for (let busy = true; busy; ) {
    busy = false;
    for (const node of nodes.values()) {
      for (const message of node.outbox.splice(0)) {
        busy = true;
        nodes.get(message.to)?.feed({ type: "receive", message });
      }
    }
  }
}
