// `pnpm bench compaction`: is a node's memory flat in the length of its log? A leader and two
// instant followers (real reducers, each with a MemoryStorage and a small key-value state
// machine; messages delivered in FIFO order, every write durable at once) apply 1,000,000
// 64-byte commands. Every node snapshots its state machine every 10,000 applied entries, as the
// driver's policy does (snapshotEveryEntries), and the core compacts its log to the snapshot less
// the trailing window. The heap is measured after a forced GC once the pipeline is warm (one
// snapshot interval in) and again at the end. Target: growth under 20 MB.
import { parseArgs } from "node:util";
import {
  type Effect,
  type Entry,
  type Event,
  type Index,
  MemoryStorage,
  type Message,
  type NodeId,
  nodeId,
  type SnapshotStream,
} from "@flotilla/core";
import { init, type RaftStateInternals, status, step } from "@flotilla/core/runtime";

import { forceGc } from "./gc.js";

async function* slices(data: Uint8Array): SnapshotStream {
  yield data;
}

const ids: NodeId[] = [nodeId("n1"), nodeId("n2"), nodeId("n3")];
const keySpace = 1024;

/** A key-value map of bounded size: command i writes key i mod 1024. */
class KvMachine {
  readonly #values = new Map<number, Uint8Array>();

  apply(entry: Entry): void {
    if (entry.kind !== "command") return;
    this.#values.set(entry.index % keySpace, entry.data);
  }

  snapshot(): Uint8Array {
    let size = 0;
    for (const value of this.#values.values()) size += 8 + value.byteLength;
    const out = new Uint8Array(size);
    const view = new DataView(out.buffer);
    let offset = 0;
    for (const [key, value] of this.#values) {
      view.setUint32(offset, key);
      view.setUint32(offset + 4, value.byteLength);
      out.set(value, offset + 8);
      offset += 8 + value.byteLength;
    }
    return out;
  }
}

type BenchNode = {
  state: RaftStateInternals;
  readonly storage: MemoryStorage;
  readonly machine: KvMachine;
  appliedSinceSnapshot: number;
};

class Pipeline {
  readonly nodes = new Map<NodeId, BenchNode>();
  readonly #queue: Message[] = [];
  snapshots = 0;

  constructor(
    private readonly snapshotEvery: number,
    trailing: number,
  ) {
    for (const id of ids) {
      this.nodes.set(id, {
        state: init({ id, voters: ids, snapshotTrailingEntries: trailing, seed: 1 }),
        storage: new MemoryStorage(),
        machine: new KvMachine(),
        appliedSinceSnapshot: 0,
      });
    }
  }

  async feed(id: NodeId, event: Event): Promise<void> {
    const node = this.nodes.get(id)!;
    const result = step(node.state, event);
    node.state = result.state;
    for (const message of result.messages) this.#queue.push(message);
    for (const effect of result.effects) await this.#effect(id, node, effect);
  }

  async #effect(id: NodeId, node: BenchNode, effect: Effect): Promise<void> {
    switch (effect.type) {
      case "persist": {
        await node.storage.persist(effect);
        for (const message of effect.then) this.#queue.push(message);
        const last = effect.entries.at(-1) ?? effect.snapshot;
        if (last !== undefined) {
          await this.feed(id, { type: "persisted", index: last.index, term: last.term });
        }
        return;
      }
      case "apply": {
        for (const entry of effect.entries) node.machine.apply(entry);
        const last = effect.entries.at(-1);
        if (last === undefined) return;
        node.appliedSinceSnapshot += effect.entries.length;
        await this.feed(id, { type: "applied", index: last.index });
        if (node.appliedSinceSnapshot >= this.snapshotEvery) {
          node.appliedSinceSnapshot = 0;
          this.snapshots++;
          // The bytes go to storage; the reducer knows the snapshot by its size and checksum.
          const data = node.machine.snapshot();
          const stored = await node.storage.writeSnapshot(last.index, slices(data));
          await this.feed(id, { type: "snapshot", index: last.index, ...stored });
        }
        return;
      }
      default:
        return;
    }
  }

  async deliverAll(): Promise<void> {
    for (let message = this.#queue.shift(); message !== undefined; message = this.#queue.shift()) {
      await this.feed(message.to, { type: "receive", message });
    }
  }

  /** Proposes `count` commands in batches of `batch` and lets the cluster settle after each. */
  async run(count: number, batch: number, first: number): Promise<void> {
    const leader = ids[0]!;
    for (let done = 0; done < count; done += batch) {
      for (let k = 0; k < batch; k++) {
        const data = new Uint8Array(64);
        new DataView(data.buffer).setFloat64(0, first + done + k);
        await this.feed(leader, { type: "propose", id: "", data });
      }
      await this.deliverAll();
      await this.feed(leader, { type: "tick" });
      await this.deliverAll();
    }
  }
}

export async function main(argv: readonly string[]): Promise<void> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      entries: { type: "string", default: "1000000" },
      "snapshot-every": { type: "string", default: "10000" },
      trailing: { type: "string", default: "1000" },
      batch: { type: "string", default: "100" },
    },
  });
  const entries = Number(values.entries);
  const snapshotEvery = Number(values["snapshot-every"]);
  const trailing = Number(values.trailing);
  const batch = Number(values.batch);
  const pipeline = new Pipeline(snapshotEvery, trailing);
  await pipeline.feed(ids[0]!, { type: "campaign" });
  await pipeline.deliverAll();

  // Warm up for one snapshot interval so the baseline already holds a snapshot and a full window.
  await pipeline.run(snapshotEvery, batch, 0);
  forceGc();
  const heapBytesBefore = process.memoryUsage().heapUsed;
  const startedMs = performance.now();
  await pipeline.run(entries, batch, snapshotEvery);
  const elapsedMs = performance.now() - startedMs;
  forceGc();
  const heapBytesAfter = process.memoryUsage().heapUsed;

  const leader = pipeline.nodes.get(ids[0]!)!.state;
  const v = status(leader);
  const heldEntries = Math.max(...[...pipeline.nodes.values()].map((n) => n.state.log.length));
  const stored = await pipeline.nodes.get(ids[0]!)!.storage.load();
  const result = {
    entries,
    entryBytes: 64,
    snapshotEveryEntries: snapshotEvery,
    snapshotTrailingEntries: trailing,
    commit: v.commit as Index,
    snapshotsTaken: pipeline.snapshots,
    logEntriesHeldMax: heldEntries,
    storedEntries: stored.entries.length,
    entriesPerSecond: Math.round((entries / elapsedMs) * 1000),
    heapBytesBefore,
    heapBytesAfter,
    heapGrowthBytes: heapBytesAfter - heapBytesBefore,
    targetGrowthBytesMax: 20 * 1024 * 1024,
  };
  console.log(`compaction: ${entries} x 64-byte entries, snapshot every ${snapshotEvery}`);
  console.log(`  commit ${result.commit}, ${result.snapshotsTaken} snapshots (all nodes)`);
  console.log(
    `  log entries held (max over nodes) ${heldEntries}; stored entries ${stored.entries.length}`,
  );
  console.log(`  ${result.entriesPerSecond} entries/s through a 3-node pipeline`);
  console.log(
    `  heap ${(heapBytesBefore / 1e6).toFixed(1)} MB -> ${(heapBytesAfter / 1e6).toFixed(1)} MB (growth ${((heapBytesAfter - heapBytesBefore) / 1e6).toFixed(2)} MB, target < 20 MB)`,
  );
  console.log(JSON.stringify(result));
}
