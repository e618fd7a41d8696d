// Where each node of the cluster listens: its Raft (UDP) and client (HTTP) addresses.
//
// Two sources, the replicated one winning:
// - seeds: what this process was told at start (--peers and --api, or what a member answered to a
//   joining node's GET /members);
// - records: "member addresses" commands in the Raft log (member-command.ts), applied by the
//   state machine and carried in its snapshots. `kv member add` commits one before the membership
//   change that adds the node, so every member, and every node restarted later, learns a new
//   node's addresses from the log or a snapshot, whatever its command line says.
//
// The membership entries of the core carry no application data, so the addresses ride in the
// key-value state machine's own log instead: the same durability, ordering and catch-up (log or
// snapshot) as the data, and nothing for the core to know about addresses.

import { formatHostPort, type HostPort } from "./addresses.js";

export type MemberAddresses = { readonly raft: HostPort; readonly api: HostPort };

/** One node's addresses as text, the form of the log, snapshots, and the HTTP API. */
export type MemberRecord = { readonly id: string; readonly raft: string; readonly api: string };

type Listener = (id: string, addresses: MemberAddresses) => void;

export class AddressBook {
  readonly #seeds = new Map<string, MemberAddresses>();
  #records = new Map<string, MemberAddresses>();
  readonly #listeners = new Set<Listener>();

  constructor(seeds: Iterable<readonly [string, MemberAddresses]> = []) {
    for (const [id, addresses] of seeds) this.#seeds.set(id, addresses);
  }

  get(id: string): MemberAddresses | undefined {
    return this.#records.get(id) ?? this.#seeds.get(id);
  }

  /** The client address of `id`, as a base URL; null when unknown. */
  apiUrl(id: string): string | null {
    const addresses = this.get(id);
    return addresses === undefined ? null : `http://${formatHostPort(addresses.api)}`;
  }

  /** Every node with an address, sorted by id. */
  ids(): string[] {
    return [...new Set([...this.#seeds.keys(), ...this.#records.keys()])].sort();
  }

  /** Every node with an address, as records sorted by id. */
  all(): MemberRecord[] {
    return this.ids().map((id) => toRecord(id, this.get(id) as MemberAddresses));
  }

  /** Calls `listener` for every address learned or changed from now on. */
  onChange(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }

  /** Adds addresses this process was told (a joining node learning the cluster). */
  seed(id: string, addresses: MemberAddresses): void {
    this.#seeds.set(id, addresses);
    if (!this.#records.has(id)) this.#notify(id, addresses);
  }

  /** A replicated record, applied from the log. */
  record(id: string, addresses: MemberAddresses): void {
    this.#records.set(id, addresses);
    this.#notify(id, addresses);
  }

  /** The replicated records, for a snapshot. */
  records(): MemberRecord[] {
    return [...this.#records].map(([id, a]) => toRecord(id, a));
  }

  /** Replaces the replicated records with a snapshot's. */
  restore(records: ReadonlyMap<string, MemberAddresses>): void {
    this.#records = new Map(records);
    for (const [id, addresses] of records) this.#notify(id, addresses);
  }

  #notify(id: string, addresses: MemberAddresses): void {
    for (const listener of this.#listeners) listener(id, addresses);
  }
}

export function toRecord(id: string, addresses: MemberAddresses): MemberRecord {
  return { id, raft: formatHostPort(addresses.raft), api: formatHostPort(addresses.api) };
}
