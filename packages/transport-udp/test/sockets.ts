// Socket helpers for tests: free loopback ports, waiting for a message with a bounded time.
import { createSocket, type SocketType } from "node:dgram";
import type { Message } from "@flotilla/core";
import type { UdpTransport } from "../src/udp-transport.js";

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
