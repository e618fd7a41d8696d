// findLeader against stand-in servers on loopback (node:http, in process): which answers settle
// it. A frozen server is one that accepts the request and never answers; the waits asked for are
// far longer than each test's bound, so only the rule under test can settle the lookup in time.

import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { findLeader } from "../src/leader-finder.js";

const host = "127.0.0.1";
const farMs = 600_000;
let servers: Server[] = [];

afterEach(async () => {
  for (const server of servers) server.closeAllConnections();
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  servers = [];
});

type Status = { readonly role: string; readonly term: number; readonly leaderUrl: string | null };

/** A server whose GET /status answers `status(request)`, or never when that is null. */
async function standIn(status: (request: IncomingMessage) => Status | null): Promise<string> {
  const server = createServer((request, response) => {
    const body = status(request);
    if (body === null) return; // frozen: the request is accepted and never answered
    response.setHeader("content-type", "application/json");
    response.end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  servers.push(server);
  return `http://${host}:${(server.address() as AddressInfo).port}`;
}

describe("findLeader", () => {
  it("settles on the first answer naming a leader past the term asked about, frozen servers notwithstanding", async () => {
    const asked: string[] = [];
    const frozen = await standIn(() => null);
    const stale = await standIn(() => null);
    const next = await standIn((request) => {
      asked.push(request.url ?? "");
      return { role: "leader", term: 4, leaderUrl: null };
    });
    const view = await findLeader([frozen, stale, next], {
      timeoutMs: farMs,
      after: { term: 3, waitMs: farMs },
    });
    expect(view).toEqual({ url: next, term: 4 });
    expect(asked).toEqual([`/status?leader-after-term=3&wait-ms=${farMs}`]);
  }, 20_000);

  it("without a term to pass, settles once a majority answered and names a leader", async () => {
    const frozen = await standIn(() => null);
    const leader = await standIn(() => ({ role: "leader", term: 2, leaderUrl: null }));
    const follower = await standIn(() => ({ role: "follower", term: 2, leaderUrl: leader }));
    const view = await findLeader([frozen, leader, follower], { timeoutMs: farMs });
    expect(view).toEqual({ url: leader, term: 2 });
  }, 20_000);
});
