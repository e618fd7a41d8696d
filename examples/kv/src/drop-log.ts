// Logs the datagrams the UDP transport drops, naming the sender, without flooding: the first drop
// from an address for a reason is logged at once (so a node started with the wrong cluster key is
// named within a second of its first datagram), later ones at most once per interval per address
// and reason, with how many there were since the last line.
import { describeDropReason, type InboundDrop } from "@flotilla/transport-udp";

type Seen = { lastLoggedMs: number; unlogged: number };

export class DropLog {
  readonly #seen = new Map<string, Seen>();
  readonly #log: (line: string) => void;
  readonly #intervalMs: number;
  readonly #now: () => number;

  constructor(log: (line: string) => void, intervalMs = 1000, now = () => performance.now()) {
    this.#log = log;
    this.#intervalMs = intervalMs;
    this.#now = now;
  }

  /** The transport's `onDrop` hook. */
  readonly report = (drop: InboundDrop): void => {
    const from = drop.address.includes(":")
      ? `[${drop.address}]:${drop.port}`
      : `${drop.address}:${drop.port}`;
    const key = `${from} ${drop.reason}`;
    const nowMs = this.#now();
    const seen = this.#seen.get(key);
    if (seen !== undefined && nowMs - seen.lastLoggedMs < this.#intervalMs) {
      seen.unlogged += 1;
      return;
    }
    const count = (seen?.unlogged ?? 0) + 1;
    this.#seen.set(key, { lastLoggedMs: nowMs, unlogged: 0 });
    const claimed = drop.sender === null ? "" : ` claiming to be ${drop.sender}`;
    this.#log(
      `dropped ${count} datagram${count === 1 ? "" : "s"} from ${from}${claimed}: ${drop.reason} (${describeDropReason(drop.reason)})`,
    );
  };
}
