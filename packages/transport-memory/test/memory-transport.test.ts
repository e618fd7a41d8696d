import type { Message, Transport } from "@flotilla/core";
import { afterEach, describe, expect, it } from "vitest";
import {
  Network,
  NetworkConfigError,
  NetworkMisuseError,
  type RealTimeHandle,
  startRealTime,
} from "../src/index.js";
import { ack, heartbeat, n1, n2, n3, seqOf } from "./helpers.js";

/**
 * A plain Transport user: answers every appendEntries with an ack carrying the same seq, and
 * records what it received. Knows nothing about the network behind the interface.
 */
function echoServer(transport: Transport, self = n2): Message[] {
  const received: Message[] = [];
  transport.onMessage((message) => {
    received.push(message);
    if (message.type === "appendEntries")
      transport.send(message.from, ack(self, message.from, message.seq));
  });
  return received;
}

describe("MemoryTransport with virtual time", () => {
  it("delivers only when the test runs the network, at the virtual time it chooses", () => {
    const network = new Network({ random: 8, link: { latency: { kind: "fixed", ms: 10 } } });
    const client = network.transport(n1);
    const server = network.transport(n2);
    const serverLog = echoServer(server);
    const clientLog: Message[] = [];
    client.onMessage((m) => clientLog.push(m));
    client.send(n2, heartbeat(n1, n2, 1));
    expect(serverLog).toEqual([]);
    network.run(9);
    expect(serverLog).toEqual([]);
    network.run(10);
    expect(serverLog.map(seqOf)).toEqual([1]);
    expect(clientLog).toEqual([]);
    expect(network.runFor(10)).toBe(1);
    expect(clientLog.map((m) => [m.type, seqOf(m)])).toEqual([["appendEntriesResponse", 1]]);
    expect(network.nowMs).toBe(20);
  });

  it("refuses a run to a time that is not whole milliseconds before delivering anything", () => {
    const network = new Network({ random: 8, link: { latency: { kind: "fixed", ms: 1 } } });
    const received = echoServer(network.transport(n2));
    network.transport(n1).send(n2, heartbeat(n1, n2, 1));
    expect(() => network.run(2.5)).toThrow(NetworkMisuseError);
    expect(() => network.run(Number.NaN)).toThrow(NetworkMisuseError);
    expect(received).toEqual([]);
    expect(network.nowMs).toBe(0);
    expect(network.run(2)).toBe(1);
  });

  it("runs a three-node exchange until idle and counts drops for closed or missing receivers", async () => {
    const network = new Network({ random: 8 });
    const a = network.transport(n1);
    const b = network.transport(n2);
    echoServer(b);
    const acks: number[] = [];
    a.onMessage((m) => acks.push(seqOf(m)));
    for (let i = 0; i < 50; i++) a.send(n2, heartbeat(n1, n2, i));
    a.send(n3, heartbeat(n1, n3, 99)); // nobody listens on n3
    network.runUntilIdle();
    expect(acks.sort((x, y) => x - y)).toEqual([...Array(50).keys()]);
    expect(network.stats().dropped.noReceiver).toBe(1);
    await b.close();
    a.send(n2, heartbeat(n1, n2, 100));
    b.send(n1, ack(n2, n1, 100));
    network.runUntilIdle();
    expect(network.stats().dropped.noReceiver).toBe(2);
    expect(network.stats().dropped.closed).toBe(1);
    expect(() => network.transport(n1)).toThrow(NetworkMisuseError);
    expect(network.transport(n2).closed).toBe(false); // reopening after close is allowed
  });

  it("stops a handler from receiving once it unregisters", () => {
    const network = new Network({ random: 8 });
    const a = network.transport(n1);
    const got: Message[] = [];
    const off = network.transport(n2).onMessage((m) => got.push(m));
    a.send(n2, heartbeat(n1, n2, 1));
    network.runUntilIdle();
    off();
    a.send(n2, heartbeat(n1, n2, 2));
    network.runUntilIdle();
    expect(got.map(seqOf)).toEqual([1]);
  });
});

describe("MemoryTransport with real timers", () => {
  let handle: RealTimeHandle | undefined;
  afterEach(() => handle?.stop());

  it("delivers a request and its reply without anyone driving the network", async () => {
    const network = new Network({
      random: 9,
      link: { latency: { kind: "uniform", minMs: 1, maxMs: 3 } },
    });
    handle = startRealTime(network);
    const client = network.transport(n1);
    echoServer(network.transport(n2));
    const replies = new Promise<number[]>((resolve, reject) => {
      const got: number[] = [];
      const timeout = setTimeout(
        () => reject(new Error(`only ${got.length} replies after 5 s`)),
        5000,
      );
      client.onMessage((m) => {
        got.push(seqOf(m));
        if (got.length === 20) {
          clearTimeout(timeout);
          resolve(got);
        }
      });
    });
    for (let i = 0; i < 20; i++) client.send(n2, heartbeat(n1, n2, i));
    expect((await replies).sort((x, y) => x - y)).toEqual([...Array(20).keys()]);
    expect(network.nowMs).toBeGreaterThanOrEqual(2);
  });

  it("refuses a clock scale that is not a positive finite number", () => {
    const network = new Network({ random: 9 });
    for (const realMsPerVirtualMs of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => startRealTime(network, { realMsPerVirtualMs })).toThrow(NetworkConfigError);
    }
  });

  it("reports handler errors and keeps delivering", async () => {
    const network = new Network({ random: 9, link: { latency: { kind: "fixed", ms: 1 } } });
    const errors: unknown[] = [];
    handle = startRealTime(network, { onError: (e) => errors.push(e), realMsPerVirtualMs: 0.5 });
    const a = network.transport(n1);
    const seen: number[] = [];
    const done = new Promise<void>((resolve, reject) => {
      const timeout = setTimeout(() => reject(new Error("second message never arrived")), 5000);
      network.transport(n2).onMessage((m) => {
        seen.push(seqOf(m));
        if (seqOf(m) === 1) throw new Error("handler failed");
        clearTimeout(timeout);
        resolve();
      });
    });
    a.send(n2, heartbeat(n1, n2, 1));
    await new Promise((r) => setTimeout(r, 20));
    a.send(n2, heartbeat(n1, n2, 2));
    await done;
    expect(seen).toEqual([1, 2]);
    expect(errors).toHaveLength(1);
  });
});
