// onDrop: a node with the wrong cluster key is named (reason and address) by the node receiving
// its datagrams, as they arrive; a throwing listener cannot break the transport.
import { nodeId } from "@flotilla/core";
import { afterEach, describe, expect, it } from "vitest";
import { describeDropReason, type InboundDrop } from "../src/drop-report.js";
import type { UdpTransport } from "../src/udp-transport.js";
import { secretA, secretB } from "./layers.js";
import { requestVote } from "./messages.js";
import { eventually, loopbackPair, nextMessage } from "./sockets.js";

const open: UdpTransport[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((transport) => transport.close()));
});

function pair(keyOfB: string, onDropAtA: (drop: InboundDrop) => void) {
  return loopbackPair({ onDrop: onDropAtA }, { key: keyOfB }).then((pair) => {
    open.push(pair.a, pair.b);
    return pair;
  });
}

describe("onDrop", () => {
  it("names a peer with the wrong cluster key: foreignCluster, its address and claimed id", async () => {
    const drops: InboundDrop[] = [];
    const { a, b, portOfB } = await pair(secretB, (drop) => drops.push(drop));
    b.send(nodeId("a"), requestVote("b", "a"));
    await eventually(() => drops.length === 1);
    expect(drops).toEqual([
      { reason: "foreignCluster", address: "127.0.0.1", port: portOfB, sender: "b" },
    ]);
    expect(a.stats().dropped.foreignCluster).toBe(1);
    expect(describeDropReason("foreignCluster")).toContain("cluster key");
  });

  it("is not called for good datagrams, and a throwing listener changes nothing", async () => {
    let calls = 0;
    const { a, b } = await pair(secretA, () => {
      calls += 1;
      throw new Error("a broken logger");
    });
    const atA = nextMessage(a);
    b.send(nodeId("a"), requestVote("b", "a"));
    expect((await atA).from).toBe("b");
    expect(calls).toBe(0);
  });
});
