// The kv server's replicated state machine: the key-value store (kv-store.ts) and the cluster's
// address book (address-book.ts), one log and one snapshot for both. A command is either a
// key-value command or a "member addresses" record (member-command.ts), told apart by its first
// byte.

import type { BufferedStateMachine, Index } from "@flotilla/core";
import type { KvOutput } from "@flotilla/kv-model";
import type { AddressBook } from "./address-book.js";
import { KvStore } from "./kv-store.js";
import {
  decodeMemberCommand,
  decodeServerSnapshot,
  encodeServerSnapshot,
  isMemberCommand,
} from "./member-command.js";

/** What applying a command gives: a key-value result, or a recorded member's id. */
export type ServerOutput = KvOutput | { readonly op: "member"; readonly id: string };

export class ServerStateMachine implements BufferedStateMachine<ServerOutput> {
  readonly store = new KvStore();
  readonly addresses: AddressBook;

  constructor(addresses: AddressBook) {
    this.addresses = addresses;
  }

  apply(command: Uint8Array, index: Index): ServerOutput {
    if (!isMemberCommand(command)) return this.store.apply(command, index);
    const { id, addresses } = decodeMemberCommand(command);
    this.addresses.record(id, addresses);
    return { op: "member", id };
  }

  snapshot(): Uint8Array {
    return encodeServerSnapshot(this.addresses.records(), this.store.snapshot());
  }

  restore(data: Uint8Array): void {
    const { records, kv } = decodeServerSnapshot(data);
    this.store.restore(kv);
    this.addresses.restore(records);
  }
}
