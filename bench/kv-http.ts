// PUT requests to the examples/kv cluster over HTTP/1.1 keep-alive, as a client library would send
// them: to the leader it last heard of; a 307 from a follower is followed (and remembered), a 503
// ("no leader yet", "leadership lost") is retried on another server after a short wait. A request
// fails on any other answer (a 504 proposal timeout, say), or after `deadlineMs`.
import { Agent, request as httpRequest } from "node:http";
import { pause } from "./closed-loop.js";

export type KvPutter = {
  put(key: string, value: Buffer): Promise<void>;
  close(): void;
};

type Answer = { readonly status: number; readonly location: string | undefined };

export function kvPutter(servers: readonly string[], deadlineMs = 5000): KvPutter {
  // One socket per concurrent client, kept open between requests.
  const agent = new Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });
  let leader = servers[0]!;
  let next = 0;

  async function put(key: string, value: Buffer): Promise<void> {
    const deadline = performance.now() + deadlineMs;
    let target = leader;
    for (;;) {
      const answer = await send(agent, `${target}/kv/${encodeURIComponent(key)}`, value).catch(
        () => ({ status: 0, location: undefined }),
      );
      if (answer.status === 200) {
        leader = target;
        return;
      }
      if (performance.now() > deadline) throw new Error(`PUT ${key}: gave up (${answer.status})`);
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
      throw new Error(`PUT ${key}: HTTP ${answer.status}`);
    }
  }

  return { put, close: () => agent.destroy() };
}

function send(agent: Agent, url: string, body: Buffer): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      url,
      { method: "PUT", agent, headers: { "content-length": body.length } },
      (response) => {
        response.resume(); // the body is a small JSON we do not need
        response.on("end", () =>
          resolve({ status: response.statusCode ?? 0, location: response.headers.location }),
        );
        response.on("error", reject);
      },
    );
    request.on("error", reject);
    request.end(body);
  });
}
