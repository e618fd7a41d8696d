import type { PersistEffect } from "./effect.js";
import type { Persisted } from "./entry.js";
import type { Index, NodeId } from "./ids.js";
import type { Message } from "./message.js";

/**
 * Delivers messages between nodes. It may lose, duplicate and reorder them (Raft tolerates all
 * three), but must never alter one. `send` never blocks and never throws for network reasons.
 */
export interface Transport {
  send(to: NodeId, message: Message): void;
  /** Registers the handler for inbound messages; returns a function that unregisters it. */
  onMessage(handler: (message: Message) => void): () => void;
  close(): Promise<void>;
}

/** One durable write: the union of many persist effects, in their order (see `PersistEffect`). */
export type PersistBatch = Omit<PersistEffect, "type" | "then">;

/**
 * Durable state of one node. `persist` resolves only once everything in the batch is durable
 * (it survives a crash of the process and of the machine); a rejected `persist` leaves storage
 * either unchanged or with a prefix of the batch applied, never anything else.
 */
export interface Storage {
  load(): Promise<Persisted>;
  persist(batch: PersistBatch): Promise<void>;
  close(): Promise<void>;
}

/** The application's replicated state machine, driven by the node driver. */
export interface StateMachine<Result = unknown> {
  /** Applies one committed command; entries arrive in log order, each exactly once per restart. */
  apply(command: Uint8Array, index: Index): Result | Promise<Result>;
  /** Serialises the state as of the last applied entry. */
  snapshot(): Uint8Array | Promise<Uint8Array>;
  /** Replaces the whole state with a snapshot's. */
  restore(data: Uint8Array): void | Promise<void>;
}
