import type { SnapshotStream } from "@flotilla/core";
import type { Prng } from "@flotilla/transport-memory";
import { hop } from "./async-work.js";

/**
 * The storage calls in flight on one simulated disk, and the delay their file system operations
 * take while two or more overlap (file-disk-storage.ts, at the top): a real kernel serves
 * overlapping calls' operations as they come, so their order is drawn per seed from the disk's
 * "disk-order/<id>" stream. A call alone is never delayed.
 */
export class DiskCallOverlap {
  readonly #order: Prng;
  /** Bumped by every crash or amnesia: the calls of an older life no longer count. */
  #life = 0;
  /** Calls of this life in flight: at 2 or more their operations interleave. */
  #calls = 0;

  constructor(order: Prng) {
    this.#order = order;
  }

  /** A new process life: nothing of the old one is in flight any more. */
  newLife(): void {
    this.#life++;
    this.#calls = 0;
  }

  /**
   * Runs a storage call counted as in flight until it settles. The count drops in a reaction of
   * its own on the call's promise, which is returned as it is (no extra hop for its caller).
   */
  counted<T>(call: () => Promise<T>): Promise<T> {
    const life = this.#life;
    this.#calls++;
    let promise: Promise<T>;
    try {
      promise = call();
    } catch (error) {
      this.#ended(life);
      throw error;
    }
    const ended = () => this.#ended(life);
    promise.then(ended, ended);
    return promise;
  }

  /** A snapshot read (a restore): in flight from its first pull until it ends, fails or stops. */
  countedStream(open: () => SnapshotStream): SnapshotStream {
    return {
      [Symbol.asyncIterator]: () => {
        const life = this.#life;
        const inner = open()[Symbol.asyncIterator]();
        let counting = false;
        const end = () => {
          if (counting) this.#ended(life);
          counting = false;
        };
        return {
          next: () => {
            if (!counting) this.#calls++;
            counting = true;
            const pulled = inner.next();
            pulled.then((result) => {
              if (result.done === true) end();
            }, end);
            return pulled;
          },
          return: (value?: unknown) => {
            end();
            return inner.return?.(value) ?? Promise.resolve({ done: true, value: undefined });
          },
        };
      },
    };
  }

  /** What an operation waits before it takes effect: a hop alone, or a drawn delay if overlapping. */
  delay(): Promise<void> {
    return this.#calls > 1 ? this.#reorder() : hop;
  }

  /**
   * Delays an operation of overlapping calls by 0 to 3 microtask hops, drawn per operation: the
   * other calls' operations ready meanwhile take effect first. In hops, not virtual time: the
   * chain stays counted as running (AsyncWork), which a wait in virtual time would stop, while
   * another chain may be queued behind it (read-ahead, FileStorage's and the readers' queues)
   * and still count as running. A crash still falls between them whenever one of the calls
   * waits for its latency.
   */
  async #reorder(): Promise<void> {
    for (let hops = this.#order.intBetween(0, 3); hops > 0; hops--) await hop;
  }

  #ended(life: number): void {
    if (life === this.#life) this.#calls--;
  }
}
