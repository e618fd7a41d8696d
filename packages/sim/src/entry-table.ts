/**
 * Every (index, term) ever appended to any node's log, with its content hash and the term of the
 * entry before it. Log Matching (Raft §5.3) holds iff no (index, term) is ever seen with two
 * contents or two predecessors: by induction, equal (index, term) then means equal prefixes.
 * One small flat list per index (usually one term), so a lookup is O(terms at that index).
 */
export class EntryTable {
  /** Index -> flat [term, prevTerm, hash, term, prevTerm, hash, ...]. */
  readonly #byIndex: (number[] | undefined)[] = [];

  /** Records the entry; returns why it clashes with an earlier one, or null. */
  record(index: number, term: number, prevTerm: number, hash: number): string | null {
    let seen = this.#byIndex[index];
    if (seen === undefined) {
      while (this.#byIndex.length < index) this.#byIndex.push(undefined);
      seen = [];
      this.#byIndex[index] = seen;
    }
    for (let i = 0; i < seen.length; i += 3) {
      if (seen[i] !== term) continue;
      if (seen[i + 2] !== hash) {
        return `holds ${index}/${term} with content that differs from another node's ${index}/${term}`;
      }
      if (seen[i + 1] !== prevTerm) {
        return `holds ${index}/${term} after term ${prevTerm}; another node holds it after term ${seen[i + 1]}`;
      }
      return null;
    }
    seen.push(term, prevTerm, hash);
    return null;
  }
}
