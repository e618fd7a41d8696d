import type { Finding } from "./apply-checker.js";
import type { LogMirror } from "./log-mirror.js";

/**
 * What the cluster committed, as the safety checker (safety-checker.ts) saw it: the (term, hash)
 * committed at each index, the terms in which the global commit index advanced (for Leader
 * Completeness, a lookup at election time instead of a scan), and what clients were told took
 * effect. Index i lives at position i; position 0 is unused. All grow contiguously.
 */
export class CommittedEntries {
  readonly #term: number[] = [0];
  readonly #hash: number[] = [0];
  /** For each advance of the global commit index: the committing node's term and the new index. */
  readonly #commitTerms: number[] = [];
  readonly #commitIndexes: number[] = [];
  /** The (index, term) of every entry a client was told took effect. */
  readonly #acknowledged = new Map<number, number>();

  /** The highest index seen committed. */
  get commitIndex(): number {
    return this.#term.length - 1;
  }

  /** The term committed at `index`, if seen. */
  termAt(index: number): number | undefined {
    return this.#term[index];
  }

  /**
   * A node in `roleTerm` committed its log (`mirror`) from `from` + 1 to `to`: each entry must be
   * the one committed at its index, if any was seen, and one newly committed must be the one a
   * client was told took effect there. Nothing is recorded past the first finding.
   */
  advance(mirror: LogMirror, from: number, to: number, roleTerm: number): Finding | null {
    const committedTerm = this.#term;
    const committedHash = this.#hash;
    const globalBefore = committedTerm.length - 1;
    for (let index = Math.max(from, mirror.baseIndex) + 1; index <= to; index++) {
      const term = mirror.termAt(index) as number;
      const hash = mirror.hashAt(index) as number;
      if (index < committedTerm.length) {
        if (committedTerm[index] !== term || committedHash[index] !== hash) {
          return {
            kind: "stateMachineSafety",
            detail: `committed ${index}/${term} where ${index}/${committedTerm[index]} was committed${committedTerm[index] === term ? " with different content" : ""}`,
          };
        }
      } else if (index === committedTerm.length) {
        committedTerm.push(term);
        committedHash.push(hash);
        const acknowledged = this.#acknowledged.get(index);
        if (acknowledged !== undefined && acknowledged !== term) {
          return {
            kind: "acknowledgedWriteLost",
            detail: `committed ${index}/${term}; ${index}/${acknowledged} was acknowledged`,
          };
        }
      }
      // index > committedTerm.length: the node restored a snapshot beyond anything seen
      // committed, so there is nothing to compare with; it stays unrecorded.
    }
    if (committedTerm.length - 1 > globalBefore) {
      this.#commitTerms.push(roleTerm);
      this.#commitIndexes.push(committedTerm.length - 1);
    }
    return null;
  }

  /**
   * The highest index committed in a term below `term`, if any: what a leader of `term` must hold
   * (Leader Completeness, §5.4; Log Matching extends it to the prefix).
   */
  committedBefore(term: number): number | null {
    let k = this.#commitTerms.length - 1;
    while (k >= 0 && (this.#commitTerms[k] as number) >= term) k--;
    return k < 0 ? null : (this.#commitIndexes[k] as number);
  }

  /** A client was told that its command at (index, term) took effect. */
  acknowledge(index: number, term: number): Finding | null {
    this.#acknowledged.set(index, term);
    const committed = this.#term[index];
    if (committed === undefined || committed === term) return null;
    return {
      kind: "acknowledgedWriteLost",
      detail: `acknowledged ${index}/${term} but ${index}/${committed} is committed`,
    };
  }

  /** The first acknowledged entry missing from the final leader's log (`mirror`), if any. */
  missingFrom(mirror: LogMirror): Finding | null {
    for (const [index, term] of this.#acknowledged) {
      if (index > mirror.baseIndex && mirror.termAt(index) !== term) {
        return {
          kind: "acknowledgedWriteLost",
          detail: `acknowledged ${index}/${term} is missing from the final leader's log (it holds ${index}/${mirror.termAt(index) ?? "nothing"})`,
        };
      }
    }
    return null;
  }
}
