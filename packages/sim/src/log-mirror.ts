import type { Entry, Membership, Persisted } from "@flotilla/core";

// The checkers' picture of one node's log, rebuilt only from the persist effects the node emits
// (the reducer's own view, before durability) and from what storage hands back on restart. It
// keeps two numbers per entry, its term and a content hash, in flat arrays: truncation is a
// length change and every lookup is O(1), so the checkers stay cheap at a million steps.

/** FNV-1a over an entry's kind and content: equal entries hash equal; collisions are 2^-32. */
export function entryHash(entry: Entry): number {
  let hash = 0x811c9dc5;
  switch (entry.kind) {
    case "command": {
      hash = Math.imul(hash ^ 1, 0x01000193);
      const data = entry.data;
      for (let i = 0; i < data.length; i++)
        hash = Math.imul(hash ^ (data[i] as number), 0x01000193);
      return hash >>> 0;
    }
    case "noop":
      return Math.imul(hash ^ 2, 0x01000193) >>> 0;
    case "membership":
      return hashString(Math.imul(hash ^ 3, 0x01000193), membershipKey(entry.membership));
    default: {
      const never: never = entry;
      throw new TypeError(`unknown entry kind ${JSON.stringify(never)}`);
    }
  }
}

function membershipKey(membership: Membership): string {
  const outgoing = membership.outgoing ? membership.outgoing.join(",") : "-";
  return `${membership.voters.join(",")}|${membership.learners.join(",")}|${outgoing}`;
}

function hashString(seed: number, text: string): number {
  let hash = seed;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

export class LogMirror {
  /** Index of the last entry covered by a snapshot (0 if none); entries start after it. */
  baseIndex = 0;
  baseTerm = 0;
  // Invariant: terms.length === hashes.length === lastIndex - baseIndex.
  readonly #terms: number[] = [];
  readonly #hashes: number[] = [];

  get lastIndex(): number {
    return this.baseIndex + this.#terms.length;
  }

  get lastTerm(): number {
    return this.termAt(this.lastIndex) ?? 0;
  }

  /** The term at `index`, the base term at the base index, or undefined if not held. */
  termAt(index: number): number | undefined {
    if (index === this.baseIndex) return this.baseTerm;
    if (index < this.baseIndex) return undefined;
    return this.#terms[index - this.baseIndex - 1];
  }

  hashAt(index: number): number | undefined {
    if (index <= this.baseIndex) return undefined;
    return this.#hashes[index - this.baseIndex - 1];
  }

  /** Drops every entry from `index` on (index > baseIndex). */
  truncateFrom(index: number): void {
    const keep = Math.max(0, index - this.baseIndex - 1);
    if (keep < this.#terms.length) {
      this.#terms.length = keep;
      this.#hashes.length = keep;
    }
  }

  append(term: number, hash: number): void {
    this.#terms.push(term);
    this.#hashes.push(hash);
  }

  /**
   * A snapshot now covers everything up to `index`: keep the entries after it when the log agrees
   * with the snapshot at `index`, otherwise the whole log is replaced by it (Raft §7).
   */
  compact(index: number, term: number): void {
    const agrees = this.termAt(index) === term;
    const keepFrom = index - this.baseIndex;
    if (agrees && keepFrom >= 0) {
      this.#terms.splice(0, keepFrom);
      this.#hashes.splice(0, keepFrom);
    } else {
      this.#terms.length = 0;
      this.#hashes.length = 0;
    }
    this.baseIndex = index;
    this.baseTerm = term;
  }

  /** Becomes a copy of `other` (a restarted node's log is what storage held). */
  copyFrom(other: LogMirror): void {
    this.baseIndex = other.baseIndex;
    this.baseTerm = other.baseTerm;
    const terms = other.#terms;
    const hashes = other.#hashes;
    this.#terms.length = 0;
    this.#hashes.length = 0;
    for (let i = 0; i < terms.length; i++) {
      this.#terms.push(terms[i] as number);
      this.#hashes.push(hashes[i] as number);
    }
  }

  /** Forgets everything: a restarted node's log is rebuilt from what storage held. */
  reset(baseIndex: number, baseTerm: number): void {
    this.#terms.length = 0;
    this.#hashes.length = 0;
    this.baseIndex = baseIndex;
    this.baseTerm = baseTerm;
  }
}

/** The checkers' picture of a log that storage loaded. */
export function mirrorOf(persisted: Persisted): LogMirror {
  const mirror = new LogMirror();
  const snapshot = persisted.snapshot;
  if (snapshot !== null) mirror.reset(snapshot.index, snapshot.term);
  for (const entry of persisted.entries) mirror.append(entry.term, entryHash(entry));
  return mirror;
}
