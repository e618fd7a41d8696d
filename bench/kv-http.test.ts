// The bench's kv client against node:http servers on loopback standing in for a leader and a
// follower: it follows a 307 and sends that kind of request, and any kind not sent yet, to the
// leader from then on, serves a GET's 404 as an answer, retries a 503 at another server, fails
// on any other status, and keeps no more connections to a server than it has requests in
// flight. Time only bounds the waits.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { type KvPutter, kvPutter } from "./kv-http.js";

const servers: Server[] = [];
let client: KvPutter | null = null;

afterEach(async () => {
  client?.close();
  client = null;
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

type Seen = { readonly method: string; readonly url: string; readonly body: string };

/**
 * A server answering each request with `answer(seen)`: its status and, for a 307, Location.
 * `connections` counts the connections clients opened to it.
 */
async function start(
  answer: (seen: Seen) => [number, string?],
  log: Seen[],
  connections = { opened: 0 },
): Promise<string> {
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const seen = {
        method: request.method ?? "",
        url: request.url ?? "",
        body: `${Buffer.concat(chunks)}`,
      };
      log.push(seen);
      const [status, location] = answer(seen);
      response.writeHead(status, { "content-length": 2, ...(location ? { location } : {}) });
      response.end("ok");
    });
  });
  server.on("connection", () => {
    connections.opened += 1;
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe("kvPutter", () => {
  it("follows a follower's 307 to the leader and goes there first afterwards", async () => {
    const atLeader: Seen[] = [];
    const atFollower: Seen[] = [];
    const leader = await start(({ url }) => [url.startsWith("/kv/missing") ? 404 : 200], atLeader);
    const follower = await start(({ url }) => [307, `${leader}${url}`], atFollower);
    client = kvPutter([follower, leader]);
    await client.put("a b", Buffer.from("value"));
    await client.put("c", Buffer.from("again"));
    await client.get("missing", "log");
    expect(atFollower.map((s) => `${s.method} ${s.url}`)).toEqual(["PUT /kv/a%20b"]);
    expect(atLeader.map((s) => `${s.method} ${s.url} ${s.body}`)).toEqual([
      "PUT /kv/a%20b value",
      "PUT /kv/c again",
      "GET /kv/missing?consistency=log ",
    ]);
  });

  it("retries a 503 at another server and fails on other statuses", async () => {
    const log: Seen[] = [];
    const busy = await start(() => [503], log);
    const fine = await start(({ url }) => [url === "/kv/broken" ? 500 : 200], log);
    client = kvPutter([busy, fine]);
    await client.put("k", Buffer.from("v"));
    expect(log.map((s) => s.url)).toEqual(["/kv/k", "/kv/k"]);
    await expect(client.put("broken", Buffer.from("v"))).rejects.toThrow("HTTP 500");
  });

  it("opens no more connections to a server than it has requests in flight", async () => {
    // Closed-loop clients: each sends its next request as soon as its last is answered, which is
    // when an unbounded undici pool opened a second connection for most of them.
    const connections = { opened: 0 };
    const server = await start(() => [200], [], connections);
    const clients = 8;
    client = kvPutter([server], 5000, clients);
    const putter = client;
    await Promise.all(
      Array.from({ length: clients }, async (_, c) => {
        for (let n = 0; n < 100; n++) await putter.get(`k${c}-${n}`, "readIndex");
      }),
    );
    expect(connections.opened).toBeLessThanOrEqual(clients);
  });
});
