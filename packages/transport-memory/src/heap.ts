// A binary min-heap of scheduled items ordered by (timeMs, seq). `seq` is unique and rises with
// every push, so ties in time break by scheduling order and the pop order is a total order: the
// network is deterministic without ever comparing messages. O(log n) push and pop, no scans.

/** An item a `ScheduleHeap` orders: by `timeMs`, then by `seq` (unique, rising with every push). */
export type Scheduled = {
  readonly timeMs: number;
  readonly seq: number;
};

function before(a: Scheduled, b: Scheduled): boolean {
  return a.timeMs < b.timeMs || (a.timeMs === b.timeMs && a.seq < b.seq);
}

/**
 * A binary min-heap by (`timeMs`, `seq`): a total order, so whatever is scheduled pops
 * deterministically. O(log n) push and pop.
 */
export class ScheduleHeap<T extends Scheduled> {
  readonly #items: T[] = [];

  get size(): number {
    return this.#items.length;
  }

  /** The earliest item, left in place; undefined when empty. */
  peek(): T | undefined {
    return this.#items[0];
  }

  /** Adds an item; its `seq` must be unique. */
  push(item: T): void {
    const items = this.#items;
    let i = items.length;
    items.push(item);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = items[parent] as T;
      if (!before(item, p)) break;
      items[i] = p;
      i = parent;
    }
    items[i] = item;
  }

  /** Removes and returns the earliest item; undefined when empty. */
  pop(): T | undefined {
    const items = this.#items;
    const top = items[0];
    const last = items.pop();
    if (top === undefined || last === undefined || items.length === 0) return top;
    const n = items.length;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      let child = left;
      let c = items[left] as T;
      if (right < n && before(items[right] as T, c)) {
        child = right;
        c = items[right] as T;
      }
      if (!before(c, last)) break;
      items[i] = c;
      i = child;
    }
    items[i] = last;
    return top;
  }

  /** Removes every item; used when a whole network is reset. */
  clear(): void {
    this.#items.length = 0;
  }
}
