// `pnpm bench udp --trace DIR`: where the microseconds of one commit go, across processes. Each
// cluster process records, on the monotonic clock every process on the machine shares
// (process.hrtime), when it sends and handles each AppendEntries and acknowledgement, when its
// storage writes, and (the leader) when each proposal of the 1-in-flight phase starts and
// resolves: there each proposal's path is a chain of single messages. The parent then
// lines the records up by log index and prints the median offset of each step from propose().
import { readFileSync, writeFileSync } from "node:fs";
import type { Message, PersistBatch, Storage, Transport } from "@flotilla/core";

/** [kind, node, log index, start µs, end µs]: what happened, where, for which entry, when. */
export type TraceRecord = readonly [TraceKind, string, number, number, number];

export type TraceKind =
  | "propose"
  | "resolve"
  | "sendAppend"
  | "handleAppend"
  | "sendAck"
  | "handleAck"
  | "persist";

export class TraceRecorder {
  readonly #self: string;
  readonly #records: TraceRecord[] = [];

  constructor(self: string) {
    this.#self = self;
  }

  static nowUs(): number {
    return Number(process.hrtime.bigint() / 100n) / 10;
  }

  record(kind: TraceKind, index: number, startUs: number, endUs = startUs): void {
    this.#records.push([kind, this.#self, index, startUs, endUs]);
  }

  write(file: string): void {
    writeFileSync(file, JSON.stringify(this.#records));
  }

  /** `inner`, recording the sends and handling of replication messages. */
  transport(inner: Transport): Transport {
    const sendKind = (m: Message) => (m.type === "appendEntries" ? "sendAppend" : "sendAck");
    const handleKind = (m: Message) => (m.type === "appendEntries" ? "handleAppend" : "handleAck");
    return {
      send: (to, message) => {
        const index = replicatedIndex(message);
        const startUs = TraceRecorder.nowUs();
        inner.send(to, message);
        if (index !== null) this.record(sendKind(message), index, startUs, TraceRecorder.nowUs());
      },
      onMessage: (handler) =>
        inner.onMessage((message) => {
          const index = replicatedIndex(message);
          const startUs = TraceRecorder.nowUs();
          handler(message);
          if (index !== null) {
            this.record(handleKind(message), index, startUs, TraceRecorder.nowUs());
          }
        }),
      close: () => inner.close(),
    };
  }

  /** `inner`, recording each write that appends entries. */
  storage(inner: Storage): Storage {
    return {
      load: () => inner.load(),
      persist: async (batch: PersistBatch) => {
        const startUs = TraceRecorder.nowUs();
        await inner.persist(batch);
        const last = batch.entries.at(-1);
        if (last !== undefined) this.record("persist", last.index, startUs, TraceRecorder.nowUs());
      },
      writeSnapshot: (index, data) => inner.writeSnapshot(index, data),
      writeSnapshotChunk: (snapshot, offset, data) =>
        inner.writeSnapshotChunk(snapshot, offset, data),
      readSnapshotChunk: (snapshot, offset, length) =>
        inner.readSnapshotChunk(snapshot, offset, length),
      readSnapshot: (snapshot) => inner.readSnapshot(snapshot),
      close: () => inner.close(),
    };
  }
}

/** The last index an AppendEntries carries or an acknowledgement confirms; null otherwise. */
function replicatedIndex(message: Message): number | null {
  if (message.type === "appendEntries") return message.entries.at(-1)?.index ?? null;
  if (message.type === "appendEntriesResponse" && message.success) return message.matchIndex;
  return null;
}

/**
 * For every proposal: the leader's first AppendEntries carrying it, the follower that answered
 * first, its handling, write and acknowledgement, and the leader's handling and resolve. Offsets
 * are from propose(); medians over all proposals whose chain is complete.
 */
export function summarizeTrace(files: readonly string[]): string {
  const records = files.flatMap((f) => JSON.parse(readFileSync(f, "utf8")) as TraceRecord[]);
  const lists = new Map<string, TraceRecord[]>();
  for (const r of records) {
    const key = `${r[0]} ${r[1]}`;
    const list = lists.get(key) ?? [];
    list.push(r);
    lists.set(key, list);
  }
  for (const list of lists.values()) list.sort((a, b) => a[3] - b[3]);
  const nodes = [...new Set(records.map((r) => r[1]))];
  const leader = records.find((r) => r[0] === "propose")?.[1];
  if (leader === undefined) return "trace: no proposals recorded";
  /** The earliest record of `kind` on `node` that starts at or after `fromUs` and covers `index`. */
  const first = (kind: TraceKind, node: string, fromUs: number, index: number) => {
    const list = lists.get(`${kind} ${node}`) ?? [];
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid]![3] < fromUs) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < list.length && i < lo + 64; i += 1) {
      if (list[i]![2] >= index) return list[i];
    }
    return undefined;
  };
  const labels = [
    "leader: AppendEntries send starts",
    "leader: AppendEntries send returns",
    "leader: own write starts",
    "leader: own write durable",
    "follower: handler runs (authenticated, decoded)",
    "follower: write starts",
    "follower: write durable",
    "follower: acknowledgement send starts",
    "follower: acknowledgement send returns",
    "leader: acknowledgement handled",
    "leader: proposal resolved",
  ];
  const offsetsUs: number[][] = labels.map(() => []);
  const proposals = lists.get(`propose ${leader}`) ?? [];
  let complete = 0;
  for (const [, , index, t0] of proposals) {
    const send = first("sendAppend", leader, t0, index);
    const acks = nodes.filter((n) => n !== leader).map((n) => first("sendAck", n, t0, index));
    const ack = acks.reduce<TraceRecord | undefined>(
      (a, b) => (b !== undefined && (a === undefined || b[3] < a[3]) ? b : a),
      undefined,
    );
    if (send === undefined || ack === undefined) continue;
    const handled = first("handleAppend", ack[1], t0, index);
    const write = first("persist", ack[1], t0, index);
    const back = first("handleAck", leader, ack[3], index);
    const own = first("persist", leader, t0, index);
    const resolved = first("resolve", leader, t0, index);
    if (handled === undefined || write === undefined || back === undefined) continue;
    if (resolved === undefined || own === undefined) continue;
    const times = [
      ...[send[3], send[4], own[3], own[4], handled[3], write[3], write[4]],
      ...[ack[3], ack[4], back[3], resolved[3]],
    ];
    for (const [i, t] of times.entries()) offsetsUs[i]!.push(t - t0);
    complete += 1;
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1] ?? Number.NaN;
  return [
    `trace, 1 in flight: median µs from propose() over ${complete} of ${proposals.length} proposals`,
    ...labels.map((label, i) => `  ${median(offsetsUs[i]!).toFixed(1).padStart(8)}  ${label}`),
  ].join("\n");
}
