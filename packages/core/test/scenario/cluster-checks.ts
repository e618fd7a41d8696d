// What the scenario cluster (cluster.ts) checks of its nodes as they step, each failure reported
// as a `VIOLATION` trace line (the runner fails any script whose output has one): two leaders in
// one term, applies out of order, two different entries applied at one index, and a read served
// at an index below one that some node knew committed before the read was asked (a stale read).
// What the cluster checks of its disks and messages (a persist that leaves a gap, a message that
// promises more than its sender's disk holds) is in disk-model.ts and promises.ts.

import type { Entry, NodeId, Term } from "@flotilla/core";
import { formatEntry } from "./format.js";

/** The safety properties the scenario cluster checks as its nodes step. */
export class ClusterChecks {
  readonly #violation: (line: string) => void;
  readonly #leaderOfTerm = new Map<number, NodeId>();
  readonly #appliedAt = new Map<number, string>();
  /** The highest commit index any node has reached: every index up to it is committed. */
  #highestCommit = 0;
  /** Per read (`node/readId`): `highestCommit` when it was asked; its index must not be lower. */
  readonly #readFloors = new Map<string, number>();

  /** `violation` receives each `VIOLATION` line. */
  constructor(violation: (line: string) => void) {
    this.#violation = violation;
  }

  /** Node `id` was asked the read `readId` (its `read` event): what is committed now bounds it. */
  readAsked(id: NodeId, readId: string): void {
    this.#readFloors.set(`${id}/${readId}`, this.#highestCommit);
  }

  /** A node's commit index after a step. */
  committed(commit: number): void {
    this.#highestCommit = Math.max(this.#highestCommit, commit);
  }

  /** Election Safety (Figure 3): at most one leader per term. */
  becameLeader(id: NodeId, term: Term): void {
    const other = this.#leaderOfTerm.get(term);
    if (other !== undefined && other !== id) {
      this.#violation(`VIOLATION: ${id} and ${other} both lead term ${term}`);
    }
    this.#leaderOfTerm.set(term, id);
  }

  /**
   * Node `id` applied `entry` after `previous`: in order, and State Machine Safety (Figure 3): no
   * other node applied a different entry at its index.
   */
  applied(id: NodeId, entry: Entry, previous: number): void {
    if (entry.index !== previous + 1) {
      this.#violation(`VIOLATION ${id}: applied ${entry.index} after ${previous}`);
    }
    const seen = this.#appliedAt.get(entry.index);
    const mine = formatEntry(entry);
    if (seen !== undefined && seen !== mine) {
      this.#violation(`VIOLATION ${id}: applied ${mine} where another node applied ${seen}`);
    }
    this.#appliedAt.set(entry.index, mine);
  }

  /**
   * Linearizability of a read (thesis §6.4): it must reflect every write committed before it was
   * asked, so its index may not be below any commit index known anywhere at that moment.
   */
  readReady(id: NodeId, readId: string, index: number): void {
    const floor = this.#readFloors.get(`${id}/${readId}`);
    if (floor !== undefined && index < floor) {
      this.#violation(
        `VIOLATION ${id}: read ${readId} ready at ${index}, but ${floor} was committed before it was asked`,
      );
    }
  }
}
