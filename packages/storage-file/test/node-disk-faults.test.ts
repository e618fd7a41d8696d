// A whole node (createNode) on FileStorage when the disk fills up or an fsync fails: the node
// stops with a typed error (its cause the storage's StorageFullError / StorageNeedsReopenError), every
// command it acknowledged is there after a restart, and once space is back the restarted node
// serves again.

import {
  bufferedStateMachine,
  createNode,
  type FlotillaError,
  type Message,
  type NodeId,
  type Transport,
} from "@flotilla/core";
import { describe, expect, it } from "vitest";
import { openFileStorage, StorageFullError, StorageNeedsReopenError } from "../src/index.js";
import { SimFileSystem } from "../src/testing.js";
import { prng, testSeed } from "./helpers.js";

const id = "a" as NodeId;
const dir = "/node-a";

/** A single voter sends nothing; its transport only has to exist. */
const loneTransport: Transport = {
  send: (_to: NodeId, _message: Message) => undefined,
  onMessage: () => () => undefined,
  close: async () => undefined,
};

/** Keeps the applied commands as text. */
class Commands {
  applied: string[] = [];
  apply(command: Uint8Array): number {
    this.applied.push(new TextDecoder().decode(command));
    return this.applied.length;
  }
  snapshot(): Uint8Array {
    return new TextEncoder().encode(JSON.stringify(this.applied));
  }
  restore(data: Uint8Array): void {
    this.applied = JSON.parse(new TextDecoder().decode(data)) as string[];
  }
}

/** Starts a lone node on `fs` and waits until it leads. */
async function leadingNode(fs: SimFileSystem, pid: number) {
  // Small segments: the log keeps growing the disk (zero fill runs 1 MiB ahead otherwise).
  const options = { fs, pid, isProcessAlive: () => false, segmentBytesMax: 2048 };
  const storage = await openFileStorage(dir, options);
  const machine = new Commands();
  const node = createNode<number>({
    id,
    voters: [id],
    transport: loneTransport,
    storage,
    stateMachine: bufferedStateMachine(machine),
    tickMs: 5,
  });
  const errors: FlotillaError[] = [];
  node.events.on("error", (error) => errors.push(error));
  await node.start();
  node.campaign();
  for (let i = 0; i < 400 && node.status().role !== "leader"; i++) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  expect(node.status().role).toBe("leader");
  return { storage, machine, node, errors };
}

/** Proposes commands one at a time until one fails; returns those acknowledged. */
async function proposeUntilFailure(node: { propose(command: Uint8Array): Promise<number> }) {
  const acknowledged: string[] = [];
  for (let i = 0; i < 10_000; i++) {
    const command = `put k${i} ${"v".repeat(40)}`;
    const failed = await node.propose(new TextEncoder().encode(command)).then(
      () => false,
      () => true,
    );
    if (failed) return acknowledged;
    acknowledged.push(command);
  }
  throw new Error("no proposal failed");
}

describe("a node on FileStorage under disk faults", () => {
  for (const fault of ["disk full", "fsync failure"] as const) {
    it(`stops with a typed error on ${fault}, and a restart keeps every acknowledged command`, async () => {
      const fs = new SimFileSystem({ random: prng(testSeed(fault, 77)) });
      const first = await leadingNode(fs, 1);
      // Some commands go through first.
      if (fault === "disk full") fs.capacityBytes = fs.usedBytes + 8000;
      else fs.syncFailureProbability = 0.02;
      const acknowledged = await proposeUntilFailure(first.node);
      if (fault === "disk full") expect(acknowledged.length).toBeGreaterThan(3);
      expect(first.node.status().phase).toBe("failed");
      expect(first.errors).toHaveLength(1);
      const cause = first.errors[0]!.cause;
      expect(cause).toBeInstanceOf(
        fault === "disk full" ? StorageFullError : StorageNeedsReopenError,
      );
      await first.node.stop();

      // Space is back (or the failing fsync is behind us): the restarted node has it all.
      fs.capacityBytes = Number.POSITIVE_INFINITY;
      fs.syncFailureProbability = 0;
      const second = await leadingNode(fs, 2);
      await second.node.propose(new TextEncoder().encode("after restart"));
      expect(second.machine.applied.slice(0, acknowledged.length)).toEqual(acknowledged);
      expect(second.machine.applied.at(-1)).toBe("after restart");
      await second.node.stop();
      await second.storage.close();
    });
  }
});
