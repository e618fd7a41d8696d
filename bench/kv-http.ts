// Requests to the examples/kv cluster over HTTP/1.1 keep-alive, as a client library would send
// them: to the leader it last heard of; a 307 from a follower is followed (and remembered), a 503
// ("no leader yet", "leadership lost") is retried on another server after a short wait. A request
// fails on any other answer (a 504 proposal timeout, say), or after `deadlineMs`. A GET's 404 (no
// such key) is an answer like a 200.
import { Agent, request as httpRequest } from "node:http";
import { pause } from "./closed-loop.js";

/** How a GET is served: the server's `?consistency=` (examples/kv http-api.ts). */
export type ReadConsistency = "readIndex" | "lease" | "log";

export type KvPutter = {
  put(key: string, value: Buffer): Promise<void>;
  get(key: string, consistency: ReadConsistency): Promise<void>;
  close(): void;
};

type Answer = { readonly status: number; readonly location: string | undefined };

export function kvPutter(servers: readonly string[], deadlineMs = 5000): KvPutter {
  // One socket per concurrent client, kept open between requests.
  const agent = new Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });
  let leader = servers[0]!;
  let next = 0;

  async function call(method: "PUT" | "GET", path: string, body: Buffer | null): Promise<void> {
    const deadline = performance.now() + deadlineMs;
    let target = leader;
    for (;;) {
      const answer = await send(agent, method, `${target}${path}`, body).catch(() => ({
        status: 0,
        location: undefined,
      }));
      if (answer.status === 200 || (method === "GET" && answer.status === 404)) {
        leader = target;
        return;
      }
      if (performance.now() > deadline) {
        throw new Error(`${method} ${path}: gave up (${answer.status})`);
      }
      if (answer.status === 307 && answer.location !== undefined) {
        target = new URL(answer.location).origin;
        continue;
      }
      if (answer.status === 503 || answer.status === 0) {
        next += 1;
        target = servers[next % servers.length]!;
        await pause(10);
        continue;
      }
      throw new Error(`${method} ${path}: HTTP ${answer.status}`);
    }
  }

  return {
    put: (key, value) => call("PUT", `/kv/${encodeURIComponent(key)}`, value),
    get: (key, consistency) =>
      call("GET", `/kv/${encodeURIComponent(key)}?consistency=${consistency}`, null),
    close: () => agent.destroy(),
  };
}

function send(agent: Agent, method: string, url: string, body: Buffer | null): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers = body === null ? {} : { "content-length": body.length };
    const request = httpRequest(url, { method, agent, headers }, (response) => {
      response.resume(); // the body is a small JSON we do not need
      response.on("end", () =>
        resolve({ status: response.statusCode ?? 0, location: response.headers.location }),
      );
      response.on("error", reject);
    });
    request.on("error", reject);
    request.end(body ?? undefined);
  });
}
