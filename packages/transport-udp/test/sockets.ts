// Socket helpers for tests: free loopback ports, waiting for a message with a bounded time.
import { createSocket, type SocketType } from "node:dgram";
import type { Message } from "@flotilla/core";
import type { UdpTransportOptions } from "../src/options.js";
import { createUdpTransport, type UdpTransport } from "../src/udp-transport.js";
import { secretA } from "./layers.js";

/** Ports the OS reports free right now (bind to 0, read, release); fine on loopback in tests. */
export async function freePorts(count: number, host: string): Promise<number[]> {
  const type: SocketType = host.includes(":") ? "udp6" : "udp4";
  const sockets = Array.from({ length: count }, () => createSocket(type));
  const ports = await Promise.all(
    sockets.map(
      (socket) =>
        new Promise<number>((resolve, reject) => {
          socket.once("error", reject);
          socket.bind(0, host, () => resolve(socket.address().port));
        }),
    ),
  );
  await Promise.all(sockets.map((socket) => new Promise<void>((r) => socket.close(() => r()))));
  return ports;
}

/** Whether this machine can bind a UDP socket on `host` (e.g. no IPv6 in some containers). */
export async function canBind(host: string): Promise<boolean> {
  try {
    await freePorts(1, host);
    return true;
  } catch {
    return false;
  }
}

/** Resolves with the first message matching `accept`, or rejects after `timeoutMs`. */
export function nextMessage(
  transport: UdpTransport,
  accept: (message: Message) => boolean = () => true,
  timeoutMs = 5000,
): Promise<Message> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no matching message within ${timeoutMs} ms`));
    }, timeoutMs);
    const off = transport.onMessage((message) => {
      if (!accept(message)) return;
      clearTimeout(timer);
      off();
      resolve(message);
    });
  });
}

/** Polls until `condition` holds, or rejects after `timeoutMs`. */
export async function eventually(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Options either side of `loopbackPair` may add or override. */
export type PairOptions = Partial<Omit<UdpTransportOptions, "id" | "listen" | "peers">>;

/**
 * Transports "a" and "b" on free 127.0.0.1 ports, each the other's peer, keyed with secretA unless
 * told otherwise. The caller closes them (push them onto its `open` list).
 */
export async function loopbackPair(
  optionsOfA: PairOptions = {},
  optionsOfB: PairOptions = {},
): Promise<{ readonly a: UdpTransport; readonly b: UdpTransport; readonly portOfB: number }> {
  const [portOfA, portOfB] = (await freePorts(2, "127.0.0.1")) as [number, number];
  const peers = { a: `127.0.0.1:${portOfA}`, b: `127.0.0.1:${portOfB}` };
  const listen = (port: number) => ({ host: "127.0.0.1", port });
  const a = await createUdpTransport({
    id: "a",
    listen: listen(portOfA),
    peers,
    key: secretA,
    ...optionsOfA,
  });
  const b = await createUdpTransport({
    id: "b",
    listen: listen(portOfB),
    peers,
    key: secretA,
    ...optionsOfB,
  });
  return { a, b, portOfB };
}
