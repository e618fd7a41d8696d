// The kv server's replicated state machine: the key-value store (kv-store.ts) and the cluster's
// address book (address-book.ts), one log and one snapshot for both. A command is either a
// key-value command or a "member addresses" record (member-command.ts), told apart by its first
// byte.

import type { Index, SnapshotStream, StateMachine } from "@flotilla/core";
import type { KvOutput } from "@flotilla/kv-model";
import type { AddressBook } from "./address-book.js";
import { ApplyPacer } from "./apply-pacer.js";
import { KvStore } from "./kv-store.js";
import { decodeMemberCommand, isMemberCommand } from "./member-command.js";
import { serverSnapshotStream, splitServerSnapshot } from "./server-snapshot.js";

/** What applying a command gives: a key-value result, or a recorded member's id. */
export type ServerOutput = KvOutput | { readonly op: "member"; readonly id: string };

export class ServerStateMachine implements StateMachine<ServerOutput> {
  readonly store = new KvStore();
  readonly addresses: AddressBook;
  /** A catch-up's thousands of applies in one batch give the event loop turns (apply-pacer.ts). */
  readonly #pacer = new ApplyPacer();

  constructor(addresses: AddressBook) {
    this.addresses = addresses;
  }

  apply(command: Uint8Array, index: Index): ServerOutput | Promise<ServerOutput> {
    return this.#pacer.pace(this.#applyNow(command, index));
  }

  #applyNow(command: Uint8Array, index: Index): ServerOutput {
    if (!isMemberCommand(command)) return this.store.apply(command, index);
    const { id, addresses } = decodeMemberCommand(command);
    this.addresses.record(id, addresses);
    return { op: "member", id };
  }

  /** The consistent point: the records and the store are captured at the call, then stream. */
  snapshot(): SnapshotStream {
    return serverSnapshotStream(this.addresses.records(), this.store.snapshot());
  }

  async restore(data: SnapshotStream): Promise<void> {
    const { records, kv } = await splitServerSnapshot(data);
    await this.store.restore(kv);
    this.addresses.restore(records);
  }
}
