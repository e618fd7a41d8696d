// What the core asked for that must wait on this node's disk, in the order it asked (the writes
// themselves wait in write-pipeline.ts):
//   - notices (role changed, read ready, ...) go out once every persist effect stepped before
//     them is durable, so an event never announces what a crash could still undo, and in order,
//     so a later notice never overtakes an earlier one that waits. A proposal's acceptance waits
//     only for that order, not for its own entry's write: it announces nothing, it only tells the
//     registry where the proposal's outcome will be applied (proposals.ts), which may now come
//     before that write is durable (early-apply.ts);
//   - applies run once their entries are on this node's disk or in the write in flight, and stay
//     there (early-apply.ts); a restore runs once the write installing its snapshot is durable and
//     no write is in flight (its bytes are read back from storage);
//   - snapshot chunk reads and writes wait for the persist effects stepped before them (a chunk at
//     offset 0 of a new transfer must not overtake the write installing the previous snapshot).
// Both are recorded with the pipeline's `steppedCount` at the time, and taken against its
// `durableCount` (write-pipeline.ts).

import type { Index } from "../ids.js";
import { noItems, objectList } from "../internal/lists.js";
import type { ApplyEffect, Notice, RestoreEffect, SnapshotIoEffect } from "./turn-work.js";

type Held<T> = { readonly item: T; readonly afterCount: number };

/**
 * What a take returns when nothing is ready: most turns take nothing, and a turn asks several
 * times (the simulator's fast-forward runs a turn per event or so), so no array is built for it.
 */
const nothing: readonly never[] = noItems;

/** How many leading applies may run given the stable index (runtime-rules.ts, `appliesReady`). */
export type AppliesReady = (
  applies: readonly (ApplyEffect | RestoreEffect)[],
  stable: Index,
) => number;

/** Notices and applies waiting on the disk, in the order the core produced them. */
export class HeldWork {
  // Lists of objects made as such (internal/lists.ts): snapshot I/O waits rarely, and its first
  // item would otherwise change the list's kind under code optimized while it was empty.
  #notices = objectList<Held<Notice>>();
  /** The applies and restores waiting, and beside each the `afterCount` it was recorded with. */
  #applies = objectList<ApplyEffect | RestoreEffect>();
  #appliesAfter: number[] = [];
  #snapshotIo = objectList<Held<SnapshotIoEffect>>();

  clear(): void {
    this.#notices = objectList();
    this.#applies = objectList();
    this.#appliesAfter = [];
    this.#snapshotIo = objectList();
  }

  snapshotIo(effect: SnapshotIoEffect, afterCount: number): void {
    this.#snapshotIo.push({ item: effect, afterCount });
  }

  /** The count of persist effects the first snapshot I/O waiting waits for (a write stops there). */
  get firstSnapshotIoAfter(): number | undefined {
    return this.#snapshotIo[0]?.afterCount;
  }

  /** Whether any snapshot I/O waits. */
  get hasSnapshotIo(): boolean {
    return this.#snapshotIo.length > 0;
  }

  /** Whether a restore waits (it runs only with no write in flight: `takeApplies`). */
  get hasRestores(): boolean {
    const applies = this.#applies;
    for (let i = 0; i < applies.length; i++) if (applies[i]!.type === "restore") return true;
    return false;
  }

  /** Whether any apply or restore waits. */
  get hasApplies(): boolean {
    return this.#applies.length > 0;
  }

  /** The leading snapshot I/O whose persist effects are all durable. */
  takeSnapshotIo(durableCount: number): readonly SnapshotIoEffect[] {
    return takeDurable(this.#snapshotIo, durableCount);
  }

  notice(notice: Notice, afterCount: number): void {
    this.#notices.push({ item: notice, afterCount });
  }

  apply(effect: ApplyEffect | RestoreEffect, afterCount: number): void {
    this.#applies.push(effect);
    this.#appliesAfter.push(afterCount);
  }

  /** Whether some notice waits for a write not yet durable (`durableCount` so far). */
  noticeWaits(durableCount: number): boolean {
    const notices = this.#notices;
    for (let i = 0; i < notices.length; i++) if (notices[i]!.afterCount > durableCount) return true;
    return false;
  }

  /** The leading notices whose persist effects are all durable. */
  takeNotices(durableCount: number): readonly Notice[] {
    return takeDurable(this.#notices, durableCount);
  }

  /**
   * The leading applies that may run now: entries at or below `stable` (as `ready` counts them),
   * then, when nothing is being written, restores whose snapshot is durable, and so on in order.
   */
  takeApplies(
    ready: AppliesReady,
    stable: Index,
    durableCount: number,
    writing: boolean,
  ): readonly (ApplyEffect | RestoreEffect)[] {
    const applies = this.#applies;
    if (applies.length === 0) return nothing;
    let count = 0;
    for (;;) {
      count += ready(count === 0 ? applies : applies.slice(count), stable);
      const next = applies[count];
      if (next === undefined || next.type !== "restore") break;
      if (writing || this.#appliesAfter[count]! > durableCount) break;
      count += 1;
    }
    if (count === 0) return nothing;
    this.#appliesAfter.splice(0, count);
    return applies.splice(0, count);
  }
}

/**
 * The applies from the last restore on. Two snapshots received in one turn are written as one
 * batch holding only the later (group commit), and storage keeps only that one's bytes: the
 * earlier restore and the entries applied between are covered by the later snapshot anyway.
 */
export function fromLastRestore<T extends { readonly type: string }>(
  applies: readonly T[],
): readonly T[] {
  for (let i = applies.length - 1; i > 0; i--) {
    if (applies[i]!.type === "restore") return applies.slice(i);
  }
  return applies;
}

/** Takes the leading items of `held` whose persist effects are all durable. */
function takeDurable<T>(held: Held<T>[], durableCount: number): readonly T[] {
  let count = 0;
  while (count < held.length && held[count]!.afterCount <= durableCount) count += 1;
  if (count === 0) return nothing;
  // Pushed, not mapped: `map` builds a holey array, a kind the shared `nothing` is not.
  const items = objectList<T>();
  for (let i = 0; i < count; i++) items.push(held[i]!.item);
  held.splice(0, count);
  return items;
}
