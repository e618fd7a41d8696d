import { describe, expect, it } from "vitest";
import { createInsecureKeyring } from "../src/keys.js";
import { addressOf, keyring, nonZero, receiver, secretA, secretB, sender } from "./layers.js";

const payload = Uint8Array.from({ length: 300 }, (_, i) => (i * 7) & 0xff);
const ringA = keyring([{ id: 1, secret: secretA }]);

function only<T>(items: readonly T[] | null): T {
  if (items === null || items.length !== 1) throw new Error("expected exactly one datagram");
  return items[0]!;
}

describe("inbound authentication", () => {
  it("accepts a datagram from the configured peer and returns its payload", () => {
    const { inbound, counters } = receiver(ringA);
    const datagram = only(sender("a", ringA).frame(payload));
    const result = inbound.receive(datagram, addressOf.a!, 0);
    expect(result).toEqual({ kind: "complete", sender: "a", payload });
    expect(nonZero(counters.dropped)).toEqual({});
  });

  it("drops and counts forged, foreign, unknown-sender, misaddressed and truncated datagrams", () => {
    const { inbound, counters } = receiver(ringA);
    const good = only(sender("a", ringA).frame(payload));
    const forged = good.slice();
    forged[forged.length - 40]! ^= 0xff; // a body byte: only the tag can notice
    const cases: [Uint8Array, { address: string; port: number }, string][] = [
      [forged, addressOf.a!, "badTag"],
      // Another cluster, same peer names and addresses: a replay into the wrong cluster.
      [
        only(sender("a", keyring([{ id: 1, secret: secretB }])).frame(payload)),
        addressOf.a!,
        "foreignCluster",
      ],
      [only(sender("mallory", ringA).frame(payload)), addressOf.a!, "unknownSender"],
      [good, { address: "127.0.0.1", port: 9999 }, "wrongAddress"],
      [good, addressOf.b!, "wrongAddress"],
      [good.subarray(0, 20), addressOf.a!, "truncated"],
      [good.subarray(0, good.length - 1), addressOf.a!, "badTag"],
      [new TextEncoder().encode("GET / HTTP/1.1\r\n"), addressOf.a!, "badMagic"],
    ];
    for (const [datagram, source, reason] of cases) {
      expect(inbound.receive(datagram, source, 0), reason).toMatchObject({
        kind: "dropped",
        reason,
      });
    }
    expect(nonZero(counters.dropped)).toEqual({
      badTag: 2,
      foreignCluster: 1,
      unknownSender: 1,
      wrongAddress: 2,
      truncated: 1,
      badMagic: 1,
    });
    expect(counters.receivedDatagrams).toBe(cases.length);
  });

  it("tells a foreign cluster from a forgery when the cluster name is explicit", () => {
    const ours = keyring([{ id: 1, secret: secretA }], "prod");
    const theirs = keyring([{ id: 1, secret: secretA }], "staging");
    const { inbound } = receiver(ours);
    const datagram = only(sender("a", theirs).frame(payload));
    expect(inbound.receive(datagram, addressOf.a!, 0)).toMatchObject({
      kind: "dropped",
      reason: "foreignCluster",
    });
  });
});

describe("key rotation", () => {
  const oldKey = { id: 1, secret: secretA };
  const newKey = { id: 2, secret: secretB };

  it("accepts old and new keys during the grace period, and rejects a removed key", () => {
    const senderOld = sender("a", keyring([oldKey]));
    const senderNew = sender("b", keyring([newKey, oldKey]));
    const during = receiver(keyring([oldKey, newKey])).inbound;
    expect(during.receive(only(senderOld.frame(payload)), addressOf.a!, 0).kind).toBe("complete");
    expect(during.receive(only(senderNew.frame(payload)), addressOf.b!, 0).kind).toBe("complete");

    const after = receiver(keyring([newKey]));
    expect(after.inbound.receive(only(senderNew.frame(payload)), addressOf.b!, 0).kind).toBe(
      "complete",
    );
    // Keys derive their own cluster ids, so a removed key's datagrams look foreign.
    expect(after.inbound.receive(only(senderOld.frame(payload)), addressOf.a!, 0)).toMatchObject({
      kind: "dropped",
      reason: "foreignCluster",
    });
  });

  it("with an explicit cluster name, a removed key id is unknown and a reused id fails the tag", () => {
    const after = receiver(keyring([newKey], "prod")).inbound;
    const removed = sender("a", keyring([oldKey], "prod"));
    expect(after.receive(only(removed.frame(payload)), addressOf.a!, 0)).toMatchObject({
      kind: "dropped",
      reason: "unknownKey",
    });
    const impostor = sender("a", keyring([{ id: 2, secret: `${secretA}-guess` }], "prod"));
    expect(after.receive(only(impostor.frame(payload)), addressOf.a!, 0)).toMatchObject({
      kind: "dropped",
      reason: "badTag",
    });
  });
});

describe("encryption through the layers", () => {
  it("round-trips a fragmented encrypted message and rejects a tampered ciphertext", () => {
    const ring = keyring([{ id: 1, secret: secretA }]);
    const big = Uint8Array.from({ length: 5000 }, (_, i) => (i * 13) & 0xff);
    const datagrams = sender("a", ring, { encrypt: true }).frame(big)!;
    expect(datagrams.length).toBeGreaterThan(1);
    const { inbound, counters } = receiver(ring);
    const tampered = datagrams[0]!.slice();
    tampered[60]! ^= 0x01;
    expect(inbound.receive(tampered, addressOf.a!, 0)).toMatchObject({
      kind: "dropped",
      reason: "badTag",
    });
    const results = datagrams.map((datagram) => inbound.receive(datagram, addressOf.a!, 0));
    expect(results.at(-1)).toEqual({ kind: "complete", sender: "a", payload: big });
    expect(nonZero(counters.dropped)).toEqual({ badTag: 1 });
  });
});

describe("insecure mode", () => {
  it("still rejects corruption, but anyone can forge", () => {
    const ring = createInsecureKeyring();
    const { inbound } = receiver(ring);
    const datagram = only(sender("a", ring).frame(payload));
    expect(inbound.receive(datagram, addressOf.a!, 0).kind).toBe("complete");
    const corrupted = datagram.slice();
    corrupted[50]! ^= 1;
    expect(inbound.receive(corrupted, addressOf.a!, 0)).toMatchObject({
      kind: "dropped",
      reason: "badTag",
    });
  });
});
