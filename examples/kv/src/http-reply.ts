// What the HTTP API answers, shared by its routes (http-api.ts, member-api.ts): the reply type,
// the follower's redirect to the leader, the mapping of a failed proposal to a status that says
// whether a retry is safe, and reading and sending bodies.

import type { IncomingMessage, ServerResponse } from "node:http";
import {
  EntryTooLargeError,
  FlotillaError,
  LeadershipLostError,
  LeadershipTransferringError,
  OverloadedError,
  SteppedDownError,
} from "@flotilla/core";
import type { AddressBook } from "./address-book.js";

export type Reply = {
  readonly status: number;
  readonly body: unknown;
  readonly location?: string;
  /** When set, `body` is this type's text as is (not JSON). */
  readonly contentType?: string;
};

const bodyBytesMax = 1024 * 1024;

/**
 * A follower's answer to a request only the leader serves: 307 to the leader's client address
 * (Location and `leaderUrl`), or 503 NO_LEADER when no leader (or no address for it) is known.
 */
export function redirect(
  addresses: AddressBook,
  self: string,
  request: IncomingMessage,
  leader: string | null,
): Reply {
  const leaderUrl = leader === null ? null : addresses.apiUrl(leader);
  if (leader === null || leaderUrl === null || leader === self) {
    return {
      status: 503,
      body: { error: "NO_LEADER", message: "no leader is known yet; retry shortly", retry: "safe" },
    };
  }
  return {
    status: 307,
    location: `${leaderUrl}${request.url ?? "/"}`,
    body: { error: "NOT_LEADER", message: `${leader} leads`, leader, leaderUrl, retry: "safe" },
  };
}

/** Maps a failed proposal to a reply that says whether retrying is safe. */
export function failure(addresses: AddressBook, error: unknown): Reply {
  if (error instanceof InvalidUtf8Error) return badRequest(error.message);
  if (error instanceof EntryTooLargeError) {
    // Refused by the core before it was appended: never happens, and a retry cannot help.
    return { status: 413, body: { error: error.code, message: error.message, retry: "safe" } };
  }
  if (error instanceof SteppedDownError) {
    // The entry may still commit under the new leader: the client must not retry blindly.
    const leaderUrl = error.leader === null ? null : addresses.apiUrl(error.leader);
    const { code, message, leader } = error;
    return { status: 503, body: { error: code, message, leader, leaderUrl, retry: "unknown" } };
  }
  if (error instanceof LeadershipTransferringError) {
    // Refused before it was appended; the new leader should lead within a round trip or two.
    return { status: 503, body: { error: error.code, message: error.message, retry: "safe" } };
  }
  if (error instanceof OverloadedError || error instanceof LeadershipLostError) {
    // Neither ever commits: the entry was refused, or another entry took its index.
    return { status: 503, body: { error: error.code, message: error.message, retry: "safe" } };
  }
  if (error instanceof FlotillaError) {
    // TIMEOUT, OUTCOME_UNKNOWN, STOPPED: the entry may be in the log and commit later.
    const status = error.code === "TIMEOUT" ? 504 : 503;
    return { status, body: { error: error.code, message: error.message, retry: "unknown" } };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { status: 500, body: { error: "INTERNAL", message, retry: "unknown" } };
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** A request body that is not valid UTF-8: answered 400. */
export class InvalidUtf8Error extends Error {
  constructor() {
    super("the body is not valid UTF-8");
  }
}

export function readBody(request: IncomingMessage): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    request.on("data", (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes <= bodyBytesMax) chunks.push(chunk);
    });
    request.on("end", () => {
      if (bytes > bodyBytesMax) return resolve(null);
      try {
        // Fatal: a value that is not UTF-8 is refused (400), never stored as U+FFFD.
        resolve(strictUtf8.decode(Buffer.concat(chunks)));
      } catch {
        reject(new InvalidUtf8Error());
      }
    });
    request.on("error", reject);
  });
}

export function badRequest(message: string): Reply {
  return { status: 400, body: { error: "BAD_REQUEST", message } };
}

export function tooLarge(): Reply {
  return {
    status: 413,
    body: { error: "TOO_LARGE", message: `bodies are limited to ${bodyBytesMax} bytes` },
  };
}

/** A key's value as GET answers it: 200 with the value, 404 (`null`) when there is none. */
export function valueReply(value: string | null): Reply {
  if (value === null) return { status: 404, body: { value: null } };
  // Serialised here: the reply is JSON already, with no object built for it.
  return { status: 200, body: `{"value":${JSON.stringify(value)}}\n`, contentType: jsonType };
}

const jsonType = "application/json";

/** Writes replies: the headers every reply carries are prepared once per server. */
export class ReplyWriter {
  readonly #nodeId: string;

  constructor(nodeId: string) {
    this.#nodeId = nodeId;
  }

  send(response: ServerResponse, reply: Reply): void {
    const body =
      reply.contentType === undefined ? `${JSON.stringify(reply.body)}\n` : String(reply.body);
    const headers = [
      "content-type",
      reply.contentType ?? jsonType,
      "content-length",
      String(Buffer.byteLength(body)),
      "x-flotilla-node",
      this.#nodeId,
    ];
    if (reply.location !== undefined) headers.push("location", reply.location);
    response.writeHead(reply.status, headers);
    response.end(body);
  }
}
