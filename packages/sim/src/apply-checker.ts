import type { Entry, Snapshot } from "@flotilla/core";
import { entryHash } from "./log-mirror.js";
import type { ViolationKind } from "./violation.js";

/** What a node's applies told the checkers: how far it applied, and how far it committed. */
export type AppliedView = {
  readonly commit: number;
  applied: number;
};

export type Finding = { readonly kind: ViolationKind; readonly detail: string };

/**
 * The checks on what nodes apply, part of the SafetyChecker: each node applies in order and no
 * further than it committed, and all nodes apply the same entry at each index (state machine
 * safety, §5.4.3), kept as one global (term, hash) per applied index.
 */
export class ApplyChecker {
  // Index i lives at position i; position 0 is unused. Both grow contiguously.
  readonly #appliedTerm: number[] = [0];
  readonly #appliedHash: number[] = [0];

  /** A node applied `entries`; advances `view.applied` up to the first finding, if any. */
  applied(view: AppliedView, entries: readonly Entry[]): Finding | null {
    for (const entry of entries) {
      if (entry.index !== view.applied + 1) {
        return { kind: "appliedRegressed", detail: `applied ${entry.index} after ${view.applied}` };
      }
      if (entry.index > view.commit) {
        return {
          kind: "appliedRegressed",
          detail: `applied ${entry.index} beyond its commit index ${view.commit}`,
        };
      }
      const hash = entryHash(entry);
      if (entry.index < this.#appliedTerm.length) {
        if (
          this.#appliedTerm[entry.index] !== entry.term ||
          this.#appliedHash[entry.index] !== hash
        ) {
          return {
            kind: "stateMachineSafety",
            detail: `applied ${entry.index}/${entry.term} where another node applied ${entry.index}/${this.#appliedTerm[entry.index]}${this.#appliedTerm[entry.index] === entry.term ? " with different content" : ""}`,
          };
        }
      } else {
        this.#appliedTerm.push(entry.term);
        this.#appliedHash.push(hash);
      }
      view.applied = entry.index;
    }
    return null;
  }

  /** A node restored `snapshot`; `view.applied` moves to it even when that is a regression. */
  restored(view: AppliedView, snapshot: Snapshot): Finding | null {
    const finding: Finding | null =
      snapshot.index < view.applied
        ? {
            kind: "appliedRegressed",
            detail: `restored a snapshot at ${snapshot.index} after applying ${view.applied}`,
          }
        : null;
    view.applied = snapshot.index;
    return finding;
  }
}
