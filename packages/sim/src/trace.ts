import type { Effect, Event, Message } from "@flotilla/core";

// The run's trace, kept two ways for two jobs:
// - a fingerprint: every event folded into a 32-bit FNV-1a hash, so "same seed, same run, bit for
//   bit" is one number to compare across runs and machines;
// - a ring of the last `capacity` events, kept as references and only formatted when a run
//   fails, so tracing costs a few stores per event, not a string per event.

export type TraceRecord =
  | { readonly kind: "step"; readonly timeMs: number; readonly node: string; readonly event: Event }
  | { readonly kind: "fault"; readonly timeMs: number; readonly detail: string }
  | { readonly kind: "client"; readonly timeMs: number; readonly detail: string }
  /** What a node reported loudly (a peer that lost its log): the simulator's log line. */
  | { readonly kind: "report"; readonly timeMs: number; readonly detail: string };

export class Trace {
  readonly #ring: (TraceRecord | undefined)[];
  #next = 0;
  #hash = 0x811c9dc5;
  #count = 0;
  /** Called with every record as it happens (the CLI's --trace); slows the run down. */
  readonly #listener: ((line: string) => void) | undefined;

  constructor(capacity: number, listener?: (line: string) => void) {
    this.#ring = new Array<TraceRecord | undefined>(capacity).fill(undefined);
    this.#listener = listener;
  }

  /** The fingerprint of everything recorded so far, as 8 hex digits. */
  get fingerprint(): string {
    return (this.#hash >>> 0).toString(16).padStart(8, "0");
  }

  get count(): number {
    return this.#count;
  }

  step(timeMs: number, node: string, nodeNumber: number, event: Event): void {
    let h = mix(this.#hash, timeMs);
    h = mix(h, nodeNumber);
    h = mix(h, eventCode(event));
    if (event.type === "receive") h = mixMessage(h, event.message);
    this.#hash = h;
    this.#push({ kind: "step", timeMs, node, event });
  }

  fault(timeMs: number, detail: string): void {
    this.#hash = this.#mixString(mix(this.#hash, timeMs), detail);
    this.#push({ kind: "fault", timeMs, detail });
  }

  client(timeMs: number, detail: string): void {
    this.#hash = this.#mixString(mix(this.#hash, timeMs), detail);
    this.#push({ kind: "client", timeMs, detail });
  }

  report(timeMs: number, detail: string): void {
    this.#hash = this.#mixString(mix(this.#hash, timeMs), detail);
    this.#push({ kind: "report", timeMs, detail });
  }

  /** Folds an effect list into the fingerprint (cheaply: types and sizes, not contents). */
  effects(effects: readonly Effect[]): void {
    let h = this.#hash;
    for (let i = 0; i < effects.length; i++) {
      const effect = effects[i]!;
      h = mix(h, effect.type.length);
      if (effect.type === "persist") h = mix(h, effect.entries.length + effect.then.length * 1000);
    }
    this.#hash = h;
  }

  /** The last records, oldest first, one line each. */
  recent(limit = this.#ring.length): string[] {
    const lines: string[] = [];
    const n = this.#ring.length;
    for (let i = 0; i < n; i++) {
      const record = this.#ring[(this.#next + i) % n];
      if (record !== undefined) lines.push(formatRecord(record));
    }
    return lines.slice(-limit);
  }

  #push(record: TraceRecord): void {
    this.#count++;
    this.#ring[this.#next] = record;
    this.#next = (this.#next + 1) % this.#ring.length;
    if (this.#listener !== undefined) this.#listener(formatRecord(record));
  }

  #mixString(hash: number, text: string): number {
    let h = hash;
    for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
    return h;
  }
}

function eventCode(event: Event): number {
  switch (event.type) {
    case "tick":
      return 1;
    case "campaign":
      return 2;
    case "receive":
      return 3;
    case "propose":
      return 4;
    case "persisted":
      return 5 + event.index * 16 + event.term * 65536;
    case "applied":
      return 6 + event.index * 16;
    case "snapshot":
      return 7 + event.index * 16;
    case "changeMembership":
      return 8;
    case "read":
    case "transferLeadership":
      return 9;
    case "flush":
      return 10;
    case "snapshotChunkRead":
      return 11 + event.offset * 16;
    case "proposeBatch":
      return 12 + event.proposals.length * 16;
    default: {
      const never: never = event;
      throw new TypeError(`unknown event ${JSON.stringify(never)}`);
    }
  }
}

function mix(hash: number, value: number): number {
  return Math.imul(hash ^ (value | 0), 0x01000193);
}

function mixMessage(hash: number, message: Message): number {
  let h = mix(hash, message.type.length);
  h = mix(h, message.term);
  h = mix(h, message.from.charCodeAt(0));
  h = mix(h, message.to.charCodeAt(0));
  if (message.type === "appendEntries") {
    h = mix(h, message.prevLogIndex);
    h = mix(h, message.entries.length);
    h = mix(h, message.leaderCommit);
  }
  return h;
}

/** One line per record: `  1234ms n3 <- n1 appendEntries t=4 prev=7/3 entries=2 commit=7`. */
export function formatRecord(record: TraceRecord): string {
  const time = `${String(record.timeMs).padStart(8)}ms`;
  switch (record.kind) {
    case "fault":
      return `${time} fault  ${record.detail}`;
    case "client":
      return `${time} client ${record.detail}`;
    case "report":
      return `${time} REPORT ${record.detail}`;
    case "step":
      return `${time} n${record.node} ${formatEvent(record.event)}`;
    default: {
      const never: never = record;
      throw new TypeError(`unknown record ${JSON.stringify(never)}`);
    }
  }
}

export function formatEvent(event: Event): string {
  switch (event.type) {
    case "tick":
    case "campaign":
    case "flush":
      return event.type;
    case "receive":
      return `<- n${event.message.from} ${formatMessage(event.message)}`;
    case "propose":
      return `propose ${event.id} (${event.data.length} bytes)`;
    case "proposeBatch":
      return `propose ${event.proposals.map((p) => `${p.id} (${p.data.length} bytes)`).join(", ")}`;
    case "persisted":
      return `persisted ${event.index}/${event.term}`;
    case "applied":
      return `applied ${event.index}`;
    case "snapshot":
      return `snapshot ${event.index}`;
    case "changeMembership":
      return `changeMembership ${event.id}`;
    case "read":
      return `read ${event.id} (${event.consistency ?? "readIndex"})`;
    case "transferLeadership":
      return `transferLeadership to n${event.to}`;
    case "snapshotChunkRead":
      return `snapshotChunkRead -> n${event.to} ${event.snapshotIndex}@${event.offset} (${event.data?.length ?? "gone"})`;
    default: {
      const never: never = event;
      throw new TypeError(`unknown event ${JSON.stringify(never)}`);
    }
  }
}

export function formatMessage(message: Message): string {
  const head = `${message.type} t=${message.term}`;
  switch (message.type) {
    case "requestVote":
      return `${head}${message.preVote ? " pre" : ""}${message.transfer === true ? " transfer" : ""} last=${message.lastLogIndex}/${message.lastLogTerm}`;
    case "requestVoteResponse":
      return `${head}${message.preVote ? " pre" : ""} ${message.granted ? "granted" : "denied"}`;
    case "appendEntries": {
      const entries = message.entries;
      const span =
        entries.length === 0
          ? "[]"
          : `[${entries[0]?.index}/${entries[0]?.term}..${entries[entries.length - 1]?.index}/${entries[entries.length - 1]?.term}]`;
      return `${head} prev=${message.prevLogIndex}/${message.prevLogTerm} entries=${span} commit=${message.leaderCommit} seq=${message.seq}`;
    }
    case "appendEntriesResponse":
      return message.success
        ? `${head} ok match=${message.matchIndex} seq=${message.seq}`
        : `${head} reject conflict=${message.conflictIndex}/${message.conflictTerm} seq=${message.seq}`;
    case "installSnapshot":
      return `${head} snapshot=${message.snapshotIndex}/${message.snapshotTerm} offset=${message.offset}${message.done ? " done" : ""}`;
    case "installSnapshotResponse":
      return `${head} snapshot=${message.snapshotIndex} received=${message.receivedBytes}${message.done ? " done" : ""}`;
    case "readIndexRequest":
      return `${head} request=${message.requestId}`;
    case "readIndexResponse":
      return `${head} request=${message.requestId} ${message.success ? `index=${message.readIndex}` : "refused"}`;
    case "timeoutNow":
      return head;
    case "snapshotRequest":
      return `${head} atLeast=${message.snapshotIndex}`;
    default: {
      const never: never = message;
      throw new TypeError(`unknown message ${JSON.stringify(never)}`);
    }
  }
}
