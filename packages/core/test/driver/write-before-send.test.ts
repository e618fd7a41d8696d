// createNode's shell hands a turn's messages to the transport one job after the turn, so the
// write the turn started reaches storage first (turn-shell.ts, issue #10): a leader's own log
// write starts before its AppendEntries for the same entries leave. Thesis §10.2.1 allows either
// order; on loopback each datagram wakes its receiver from the sender's `sendto`, and the woken
// follower could take the CPU before the leader had started its write.

import { afterEach, describe, expect, it } from "vitest";
import type {
  FlotillaNode,
  Message,
  NodeId,
  PersistBatch,
  Term,
  Transport,
} from "../../src/index.js";
import { createNode, MemoryStorage } from "../../src/index.js";
import { LogMachine } from "./fixtures.js";

const leader = "a" as NodeId;
const b = "b" as NodeId;
const c = "c" as NodeId;
let node: FlotillaNode<string> | undefined;

afterEach(async () => {
  await node?.stop();
  node = undefined;
});

/** MemoryStorage that notes each write holding entries when it is handed over. */
class NotingStorage extends MemoryStorage {
  constructor(readonly noted: string[]) {
    super();
  }

  override persist(batch: PersistBatch): Promise<void> {
    if (batch.entries.length > 0) this.noted.push(`write ${batch.entries.at(-1)!.index}`);
    return super.persist(batch);
  }
}

describe("a leader's turn", () => {
  it("hands its log write to storage before its AppendEntries to the transport", async () => {
    const noted: string[] = [];
    let deliver: (message: Message) => void = () => undefined;
    const transport: Transport = {
      send: (_to, message) => {
        if (message.type === "appendEntries" && message.entries.length > 0) {
          noted.push(`appendEntries ${message.entries.at(-1)!.index}`);
        }
      },
      onMessage: (handler) => {
        deliver = handler;
        return () => undefined;
      },
      close: async () => undefined,
    };
    node = createNode<string>({
      id: leader,
      voters: [leader, b, c],
      seed: 3,
      tickMs: 10,
      transport,
      storage: new NotingStorage(noted),
      stateMachine: new LogMachine(),
    });
    await node.start();
    node.campaign();
    await new Promise((resolve) => setTimeout(resolve, 20));
    const granted = { to: leader, term: 1 as Term, preVote: false, granted: true } as const;
    deliver({ type: "requestVoteResponse", from: b, ...granted });
    // Elected: its no-op (index 1) is written and sent to b and c in one turn.
    for (let waited = 0; noted.length < 3 && waited < 2000; waited += 10) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(noted.slice(0, 3)).toEqual(["write 1", "appendEntries 1", "appendEntries 1"]);
  });
});
