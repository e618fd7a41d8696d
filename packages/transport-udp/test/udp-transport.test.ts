import { createSocket, type Socket } from "node:dgram";
import { encodeMessage, type Message, nodeId } from "@flotilla/core";
import { afterEach, describe, expect, it } from "vitest";
import { createKeyring } from "../src/keys.js";
import { createDropper } from "../src/loss.js";
import { createOutbound } from "../src/outbound.js";
import { createUdpTransport, type UdpTransport } from "../src/udp-transport.js";
import { nonZero, secretA, secretB } from "./layers.js";
import { appendEntries, requestVote } from "./messages.js";
import { canBind, eventually, freePorts, loopbackPair, nextMessage } from "./sockets.js";

const open: UdpTransport[] = [];
const rawSockets: Socket[] = [];

afterEach(async () => {
  await Promise.all(open.splice(0).map((transport) => transport.close()));
  await Promise.all(
    rawSockets.splice(0).map((socket) => new Promise<void>((r) => socket.close(() => r()))),
  );
});

async function cluster(
  host: string,
  ids: readonly string[],
  extra: { encrypt?: boolean } = {},
): Promise<Record<string, UdpTransport>> {
  const ports = await freePorts(ids.length, host);
  const literal = host.includes(":") ? `[${host}]` : host;
  const peers = Object.fromEntries(ids.map((id, i) => [id, `${literal}:${ports[i]}`]));
  const transports = await Promise.all(
    ids.map((id, i) =>
      createUdpTransport({ id, listen: { host, port: ports[i]! }, peers, key: secretA, ...extra }),
    ),
  );
  open.push(...transports);
  return Object.fromEntries(ids.map((id, i) => [id, transports[i]!]));
}

const hasIpv6 = await canBind("::1");

for (const host of ["127.0.0.1", "::1"]) {
  describe.skipIf(host === "::1" && !hasIpv6)(`over ${host}`, () => {
    it("exchanges messages between three transports, including a fragmented one", async () => {
      const { a, b, c } = await cluster(host, ["a", "b", "c"]);
      const vote = requestVote("a", "b");
      const atB = nextMessage(b!);
      a!.send(nodeId("b"), vote);
      expect(await atB).toEqual(vote);

      const big = appendEntries("b", "c", 8, 2500, 7); // ~20 KB: many fragments
      const atC = nextMessage(c!);
      b!.send(nodeId("c"), big);
      expect(await atC).toEqual(big);
      expect(b!.stats().sent.datagrams).toBeGreaterThan(16);

      const reply = requestVote("c", "a", 4);
      const atA = nextMessage(a!);
      c!.send(nodeId("a"), reply);
      expect(await atA).toEqual(reply);
      for (const t of [a!, b!, c!]) expect(nonZero(t.stats().dropped)).toEqual({});
    });

    it("round-trips encrypted messages", async () => {
      const { a, b } = await cluster(host, ["a", "b"], { encrypt: true });
      const big = appendEntries("a", "b", 3, 3000, 1);
      const atB = nextMessage(b!);
      a!.send(nodeId("b"), big);
      expect(await atB).toEqual(big);
    });
  });
}

describe("a foreign socket", () => {
  it("has its forged datagrams counted and never delivered", async () => {
    const { a, b } = await cluster("127.0.0.1", ["a", "b"]);
    const delivered: Message[] = [];
    b!.onMessage((message) => delivered.push(message));
    const mallory = createSocket("udp4");
    rawSockets.push(mallory);
    await new Promise<void>((r) => mallory.bind(0, "127.0.0.1", () => r()));
    const vote = requestVote("a", "b");
    const frame = (secret: string) =>
      createOutbound({
        self: "a",
        keyring: createKeyring([{ id: 0, secret }]),
        encrypt: false,
        maxDatagramBytes: 1232,
      }).frame(encodeMessage(vote))![0]!;
    const forged = [
      frame(secretB), // wrong key: another cluster as far as b can tell
      frame(secretA), // right key (leaked?) but not from a's address
      new TextEncoder().encode("not a frame"),
    ];
    const target = b!.address();
    for (const datagram of forged) mallory.send(datagram, target.port, target.host);
    await eventually(() => b!.stats().received.datagrams === forged.length);
    expect(nonZero(b!.stats().dropped)).toEqual({
      foreignCluster: 1,
      wrongAddress: 1,
      badMagic: 1,
    });

    // The real a still gets through, and nothing forged was delivered before it.
    const atB = nextMessage(b!);
    a!.send(nodeId("b"), vote);
    expect(await atB).toEqual(vote);
    expect(delivered).toEqual([vote]);
  });
});

describe("lifecycle and local errors", () => {
  it("close() releases the port and later sends are counted, not thrown", async () => {
    const { a } = await cluster("127.0.0.1", ["a", "b"]);
    const { port } = a!.address();
    await a!.close();
    await a!.close(); // idempotent
    a!.send(nodeId("b"), requestVote("a", "b"));
    expect(a!.stats().sendDropped.closed).toBe(1);
    const again = createSocket("udp4");
    rawSockets.push(again);
    await new Promise<void>((resolve, reject) => {
      again.once("error", reject);
      again.bind({ port, address: "127.0.0.1", exclusive: true }, () => resolve());
    });
    expect(again.address().port).toBe(port);
  });

  it("drops and counts messages beyond the send-queue bound instead of queueing them", async () => {
    const { a, b } = await loopbackPair({ sendQueueCountMax: 3 });
    open.push(a, b);
    // One synchronous burst: no send callback can run in between, so the queue only grows.
    for (let i = 0; i < 100; i += 1) a.send(nodeId("b"), requestVote("a", "b", i + 1));
    expect(a.stats().sent.messages).toBe(4);
    expect(a.stats().sendDropped.sendQueueFull).toBe(96);
    await eventually(() => b.stats().received.messages === 4);
    // Once the queue drains, sends go through again.
    const atB = nextMessage(b);
    a.send(nodeId("b"), requestVote("a", "b", 500));
    expect((await atB).term).toBe(500);
  });

  it("counts an error the OS reports for a send, never throwing", async () => {
    // A socket bound to loopback cannot reach a TEST-NET-1 address (RFC 5737): sendmsg fails.
    const transport = await createUdpTransport({
      id: "a",
      listen: { host: "127.0.0.1", port: 0 },
      peers: { b: "192.0.2.1:9" },
      key: secretA,
    });
    open.push(transport);
    transport.send(nodeId("b"), requestVote("a", "b"));
    await eventually(() => transport.stats().sendDropped.sendError === 1);
    expect(transport.stats().sent.messages).toBe(1);
  });

  it("counts a send to an unknown peer and binds port 0", async () => {
    const transport = await createUdpTransport({
      id: "a",
      listen: { host: "127.0.0.1", port: 0 },
      peers: {},
      key: secretA,
    });
    open.push(transport);
    expect(transport.address().port).toBeGreaterThan(0);
    transport.send(nodeId("zed"), requestVote("a", "zed"));
    expect(transport.stats().sendDropped.unknownPeer).toBe(1);
  });

  it("with busyPollUs, stays awake polling after traffic, and delivers as before", async () => {
    // b's clock stands still, so its polling window never closes on its own: only close() ends it.
    const { a, b } = await loopbackPair({}, { busyPollUs: 2000, now: () => 0 });
    open.push(a, b);
    const atB = nextMessage(b);
    a.send(nodeId("b"), requestVote("a", "b", 9));
    expect((await atB).term).toBe(9);
    await eventually(() => b.stats().busyPollTurns > 0); // polled after the receive
    const atA = nextMessage(a);
    b.send(nodeId("a"), requestVote("b", "a", 10));
    expect((await atA).term).toBe(10);
    expect(a.stats().busyPollTurns).toBe(0); // off by default
    await b.close();
    const turns = b.stats().busyPollTurns;
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(b.stats().busyPollTurns).toBeLessThanOrEqual(turns + 1); // polling ended with close
  });

  it("with dropProbability, drops exactly the datagrams its seeded draws pick", async () => {
    const { a, b } = await loopbackPair({ dropProbability: 0.3, dropSeed: 7 });
    open.push(a, b);
    const replay = createDropper(0.3, 7); // the same draws, to know which terms must arrive
    const expected = new Set<number>();
    const terms = new Set<number>();
    b.onMessage((message) => terms.add(message.term));
    // Small bursts, each awaited, so the kernel's own buffers never drop anything.
    for (let burst = 0; burst < 20; burst += 1) {
      for (let i = burst * 20 + 1; i <= burst * 20 + 20; i += 1) {
        if (!replay()) expected.add(i);
        a.send(nodeId("b"), requestVote("a", "b", i));
      }
      await eventually(() => terms.size === expected.size);
    }
    const { injectedDrops, sent } = a.stats();
    expect(injectedDrops + sent.datagrams).toBe(400);
    expect(injectedDrops).toBeGreaterThan(80); // 30% of 400 is 120
    expect(injectedDrops).toBeLessThan(160);
    expect([...terms].sort((x, y) => x - y)).toEqual([...expected]);
    expect(b.stats().injectedDrops).toBe(0); // off by default
  });

  it("with dropProbability 1, loses every fragment of a fragmented message", async () => {
    const { a, b } = await loopbackPair({ dropProbability: 1 });
    open.push(a, b);
    a.send(nodeId("b"), appendEntries("a", "b", 8, 2500, 1)); // ~20 KB: many fragments
    expect(a.stats().sent.datagrams).toBe(0);
    expect(a.stats().injectedDrops).toBeGreaterThan(16);
    const atA = nextMessage(a);
    b.send(nodeId("a"), requestVote("b", "a", 5)); // the other way is not lossy
    expect((await atA).term).toBe(5);
    expect(b.stats().received.datagrams).toBe(0);
  });

  it("requires insecure mode to be explicit, and warns once when it is used", async () => {
    const base = { id: "a", listen: { host: "127.0.0.1", port: 0 }, peers: {} };
    await expect(createUdpTransport(base)).rejects.toMatchObject({ field: "key" });
    const warnings: string[] = [];
    const transport = await createUdpTransport({
      ...base,
      insecure: true,
      logger: { warn: (message) => warnings.push(message) },
    });
    open.push(transport);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("insecure");
  });

  it("rejects a peer of the other address family, naming it", async () => {
    await expect(
      createUdpTransport({
        id: "a",
        listen: { host: "127.0.0.1", port: 0 },
        peers: { b: "[::1]:7000" },
        key: secretA,
      }),
    ).rejects.toMatchObject({ field: "peers.b" });
  });
});

describe("setPeer", () => {
  it("adds a member that joined later: its datagrams are dropped before and delivered after", async () => {
    const [portOfA, portOfB] = (await freePorts(2, "127.0.0.1")) as [number, number];
    const listen = (port: number) => ({ host: "127.0.0.1", port });
    // a knows nobody yet; b (the newcomer) knows a.
    const a = await createUdpTransport({
      id: "a",
      listen: listen(portOfA),
      peers: {},
      key: secretA,
    });
    const b = await createUdpTransport({
      id: "b",
      listen: listen(portOfB),
      peers: { a: `127.0.0.1:${portOfA}` },
      key: secretA,
    });
    open.push(a, b);
    a.send(nodeId("b"), requestVote("a", "b"));
    expect(a.stats().sendDropped.unknownPeer).toBe(1);
    b.send(nodeId("a"), requestVote("b", "a"));
    await eventually(() => a.stats().dropped.unknownSender === 1);

    await a.setPeer("b", `127.0.0.1:${portOfB}`);
    const atA = nextMessage(a);
    b.send(nodeId("a"), requestVote("b", "a", 2));
    expect(await atA).toEqual(requestVote("b", "a", 2));
    const atB = nextMessage(b);
    a.send(nodeId("b"), requestVote("a", "b", 3));
    expect(await atB).toEqual(requestVote("a", "b", 3));
  });

  it("refuses a bad address or its own id with a ConfigError", async () => {
    const { a, b } = await loopbackPair();
    open.push(a, b);
    await expect(a.setPeer("c", "nowhere")).rejects.toMatchObject({ code: "CONFIG" });
    await expect(a.setPeer("a", "127.0.0.1:9")).rejects.toMatchObject({ code: "CONFIG" });
  });
});
