// The bench's lean HTTP client against a node:http server on loopback: what it parses of an
// answer, that it reuses its connections, and that a connection the server closed while idle
// costs the request nothing. Time only bounds the waits.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { LeanHttpClient } from "./lean-http.js";

let server: Server | null = null;
let client: LeanHttpClient | null = null;

afterEach(async () => {
  client?.close();
  const running = server;
  if (running !== null) {
    running.closeAllConnections();
    await new Promise((resolve) => running.close(resolve));
  }
  server = null;
  client = null;
});

/** A server that answers each request with its method, path, body and socket number. */
async function start(keepAliveTimeoutMs = 5000): Promise<string> {
  const sockets = new Map<unknown, number>();
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      if (!sockets.has(request.socket)) sockets.set(request.socket, sockets.size + 1);
      const body = `${request.method} ${request.url} ${Buffer.concat(chunks).toString()} #${sockets.get(request.socket)}`;
      const status = request.url === "/moved" ? 307 : 200;
      const headers: Record<string, string | number> = {
        "content-length": Buffer.byteLength(body),
      };
      if (status === 307) headers.location = "http://127.0.0.1:1/elsewhere";
      response.writeHead(status, headers);
      response.end(body);
    });
  });
  server.keepAliveTimeout = keepAliveTimeoutMs;
  await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe("LeanHttpClient", () => {
  it("reads the status and Location, and sends bodies whole", async () => {
    const origin = await start();
    client = new LeanHttpClient();
    expect(await client.request(origin, "GET", "/a?b=c", null)).toEqual({
      status: 200,
      location: undefined,
    });
    expect(await client.request(origin, "GET", "/moved", null)).toEqual({
      status: 307,
      location: "http://127.0.0.1:1/elsewhere",
    });
    const big = Buffer.alloc(300_000, "x");
    expect((await client.request(origin, "PUT", "/big", big)).status).toBe(200);
  });

  it("keeps one connection per request in flight and reuses them", async () => {
    const origin = await start();
    client = new LeanHttpClient();
    const connections = new Set<number>();
    server?.on("connection", () => connections.add(connections.size + 1));
    for (let i = 0; i < 5; i++) await client.request(origin, "GET", `/${i}`, null);
    expect(connections.size).toBe(1);
    await Promise.all([1, 2, 3].map((i) => client?.request(origin, "GET", `/p${i}`, null)));
    expect(connections.size).toBe(3);
  });

  it("sends a request again on a new connection when the server closed the idle one", async () => {
    const origin = await start(50);
    client = new LeanHttpClient();
    await client.request(origin, "GET", "/first", null);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await client.request(origin, "PUT", "/second", Buffer.from("v"))).toEqual({
      status: 200,
      location: undefined,
    });
  });

  it("fails a request whose server is gone", async () => {
    const origin = await start();
    client = new LeanHttpClient();
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    server = null;
    await expect(client.request(origin, "GET", "/", null)).rejects.toThrow();
  });
});
