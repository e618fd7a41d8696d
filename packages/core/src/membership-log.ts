import type { Entry, Membership } from "./entry.js";

// The membership in force, tracked from the log (Raft thesis §4.1): "a server always uses the
// latest configuration in its log, regardless of whether the entry is committed". So a
// configuration takes effect the moment its entry is appended, and when a new leader truncates
// that entry away the node falls back to the configuration before it. A snapshot records the
// configuration in force at its own index, which is the configuration at that index here, not
// the latest one (a later, uncommitted change may still be rolled back).
//
// The log rarely holds more than a couple of configuration entries, so this keeps only those:
// the configuration in force at the log's base, and the membership entries after it, in order.

/** A configuration and the index of the entry that set it (0: the initial configuration). */
export type MembershipAt = { readonly index: number; readonly membership: Membership };

export class MembershipLog {
  private constructor(
    /** In force at the log's base (from the snapshot, or the initial configuration). */
    readonly base: MembershipAt,
    /** Configuration entries after the base, by ascending index. */
    private readonly changes: readonly MembershipAt[],
  ) {}

  /** The configuration in force given a base one and the log entries after it. */
  static from(base: MembershipAt, entries: readonly Entry[]): MembershipLog {
    return new MembershipLog(base, []).append(entries);
  }

  /** The configuration in force: the latest in the log. */
  get current(): MembershipAt {
    // Never index -1: V8 reads it as a named property, through the prototypes, several times
    // slower than the bounds check (a fresh browser worker's first run, issue 15).
    const changes = this.changes;
    return changes.length > 0 ? changes[changes.length - 1]! : this.base;
  }

  /** The configuration in force once the log ended at `index` (for a snapshot at `index`). */
  at(index: number): MembershipAt {
    for (let i = this.changes.length - 1; i >= 0; i--) {
      if (this.changes[i]!.index <= index) return this.changes[i]!;
    }
    return this.base;
  }

  /** After appending `entries`: each configuration entry takes effect (thesis §4.1). */
  append(entries: readonly Entry[]): MembershipLog {
    let changes: MembershipAt[] | null = null;
    for (const entry of entries) {
      if (entry.kind !== "membership") continue;
      changes ??= this.changes.slice();
      changes.push({ index: entry.index, membership: entry.membership });
    }
    return changes === null ? this : new MembershipLog(this.base, changes);
  }

  /** After dropping the log from `index` on: configurations appended there are rolled back. */
  truncateFrom(index: number): MembershipLog {
    const kept = this.changes.filter((change) => change.index < index);
    return kept.length === this.changes.length ? this : new MembershipLog(this.base, kept);
  }

  /** After compacting the log up to `index`: what was in force there becomes the base. */
  compactTo(index: number): MembershipLog {
    if (this.changes.length === 0 || this.changes[0]!.index > index) return this;
    return new MembershipLog(
      this.at(index),
      this.changes.filter((change) => change.index > index),
    );
  }

  /** After installing a snapshot that replaced the whole log. */
  static fromSnapshot(index: number, membership: Membership): MembershipLog {
    return new MembershipLog({ index, membership }, []);
  }
}
