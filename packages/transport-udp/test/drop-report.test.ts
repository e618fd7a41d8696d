// onDrop: a node with the wrong cluster key is named (reason and address) by the node receiving
// its datagrams, as they arrive; a throwing listener cannot break the transport.
import { nodeId } from "@flotilla/core";
import { afterEach, describe, expect, it } from "vitest";
import { describeDropReason, type InboundDrop } from "../src/drop-report.js";
import { createUdpTransport, type UdpTransport } from "../src/udp-transport.js";
import { secretA, secretB } from "./layers.js";
import { requestVote } from "./messages.js";
import { eventually, freePorts, nextMessage } from "./sockets.js";

const open: UdpTransport[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((transport) => transport.close()));
});

async function pair(keyOfB: string, onDropAtA: (drop: InboundDrop) => void) {
  const ports = await freePorts(2, "127.0.0.1");
  const peers = { a: `127.0.0.1:${ports[0]}`, b: `127.0.0.1:${ports[1]}` };
  const listen = (port: number) => ({ host: "127.0.0.1", port });
  const a = await createUdpTransport({
    id: "a",
    listen: listen(ports[0]!),
    peers,
    key: secretA,
    onDrop: onDropAtA,
  });
  const b = await createUdpTransport({ id: "b", listen: listen(ports[1]!), peers, key: keyOfB });
  open.push(a, b);
  return { a, b, portOfB: ports[1]! };
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
