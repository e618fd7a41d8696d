// The contract between the simulator and its key-value clients (kv-clients.ts).

/** What the clients need from the simulator. */
export interface ClientHost {
  readonly nodeCount: number;
  nowMs(): number;
  /** Calls `KvClients.on(kind, client, token)` at `atMs`. */
  schedule(atMs: number, kind: ClientEventKind, client: number, token: number): void;
  isUp(node: number): boolean;
  /** Hands a propose event to `node`; `accepted`/`rejected` come back at the end of its turn. */
  propose(node: number, id: string, data: Uint8Array): void;
  trace(detail: string): void;
}

export type ClientEventKind = "invoke" | "arrive" | "reply" | "timeout";

export type ClientOptions = {
  readonly clientCount: number;
  readonly keyCount: number;
  readonly thinkMeanMs: number;
  readonly latencyMinMs: number;
  readonly latencyMaxMs: number;
  readonly operationTimeoutMs: number;
  /** How long a client waits before retrying when nobody is known to lead. */
  readonly retryBackoffMs: number;
};
