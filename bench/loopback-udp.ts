// UDP on loopback, shared by the udp benchmark's parts (udp.ts, udp-cluster.ts).
import { createSocket, type Socket } from "node:dgram";

/** Ports free right now on `host` (bind to 0, read, release). */
export async function freePorts(count: number, host: string): Promise<number[]> {
  const sockets = Array.from({ length: count }, () => createSocket("udp4"));
  await Promise.all(sockets.map((s) => new Promise<void>((r) => s.bind(0, host, () => r()))));
  const ports = sockets.map((s) => s.address().port);
  await Promise.all(sockets.map((s) => new Promise<void>((r) => s.close(() => r()))));
  return ports;
}

/**
 * Sequential ping-pong: sends 16 bytes from `socket` to an echo at `host`:`port`, times the
 * round trip until the reply, then sends the next. The first `warmup` round trips are not kept;
 * returns the next `rounds`, in µs, in the order measured.
 */
export async function timePingPong(
  socket: Socket,
  host: string,
  port: number,
  rounds: number,
  warmup: number,
): Promise<Float64Array> {
  const samples = new Float64Array(rounds);
  const payload = new Uint8Array(16);
  await new Promise<void>((resolve) => {
    let round = 0;
    let sentAt = 0n;
    const ping = (): void => {
      sentAt = process.hrtime.bigint();
      socket.send(payload, port, host);
    };
    socket.on("message", () => {
      const rttNs = process.hrtime.bigint() - sentAt;
      if (round >= warmup) samples[round - warmup] = Number(rttNs) / 1000;
      round += 1;
      if (round < warmup + rounds) ping();
      else resolve();
    });
    ping();
  });
  return samples;
}
