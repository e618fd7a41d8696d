import {
  type AppendEntriesResponse,
  encodeMessage,
  index,
  type Message,
  nodeId,
  term,
} from "@flotilla/core";
import { describe, expect, it } from "vitest";
import { BroadcastTransport } from "../src/multitab/broadcast-transport.js";

// The multi-tab transport on Node's own BroadcastChannel (the same API as the browser's): a
// message reaches only its addressee, intact; bad posts are dropped and counted, never thrown.

const [a, b, c] = [nodeId("a"), nodeId("b"), nodeId("c")];
const ack: AppendEntriesResponse = {
  type: "appendEntriesResponse",
  from: a,
  to: b,
  term: term(3),
  seq: 7,
  success: true,
  matchIndex: index(5),
};

function inbox(transport: BroadcastTransport): Message[] {
  const received: Message[] = [];
  transport.onMessage((message) => received.push(message));
  return received;
}

let channels = 0;
const settle = () => new Promise((done) => setTimeout(done, 50));

describe("BroadcastTransport", () => {
  it("delivers a message to its addressee only, decoded to an equal value", async () => {
    const channel = `flotilla-test-${++channels}`;
    const [ta, tb, tc] = [a, b, c].map((id) => new BroadcastTransport(id, channel));
    const [toB, toC] = [inbox(tb!), inbox(tc!)];
    ta!.send(b, ack);
    await settle();
    expect(toB).toEqual([ack]);
    expect(toC).toEqual([]);
    await Promise.all([ta, tb, tc].map((t) => t!.close()));
  });

  it("drops and counts posts that are not a well-formed message, without throwing", async () => {
    const channel = `flotilla-test-${++channels}`;
    const tb = new BroadcastTransport(b, channel);
    const received = inbox(tb);
    const raw = new BroadcastChannel(channel);
    raw.postMessage({ to: b, bytes: new Uint8Array([1, 2, 3]) });
    raw.postMessage({ to: b, bytes: "not bytes" });
    raw.postMessage({ to: c, bytes: new Uint8Array([9]) }); // not b's business
    raw.postMessage({ to: b, bytes: encodeMessage(ack) });
    await settle();
    expect(tb.dropped).toBe(2);
    expect(received).toEqual([ack]);
    raw.close();
    await tb.close();
  });
});
