// `kv-server`: one server of a key-value cluster as a process (kv-server.ts). Run
// `kv-server --help` for the options. SIGTERM and SIGINT shut it down cleanly, a leader handing
// leadership over first; a second signal exits at once.

import { UsageError } from "./addresses.js";
import { applyServerHeapGrowth } from "./heap-growth.js";
import { type RunningServer, startServer, stopServer } from "./kv-server.js";
import { parseServerOptions, type ServerOptions, serverUsage } from "./server-options.js";

async function main(): Promise<void> {
  let options: ServerOptions | "help";
  try {
    options = parseServerOptions(process.argv.slice(2), process.env, process.stdout.isTTY === true);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`kv-server: ${error.message}\n\n${serverUsage}`);
    process.exit(2);
  }
  if (options === "help") {
    console.log(serverUsage);
    return;
  }
  applyServerHeapGrowth();
  let running: RunningServer;
  try {
    running = await startServer(options, () => process.exit(1));
  } catch (error) {
    console.error(`kv-server ${options.id}: cannot start: ${(error as Error).message}`);
    process.exit(1);
  }
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.on(signal, () => {
      if (running.stopping !== null) process.exit(130); // a second signal: the operator insists
      // The core gives up a transfer the target does not take up within an election timeout;
      // this bounds the wait for news of the election that follows (as long as a client waits).
      stopServer(running, signal, options.proposalTimeoutMs).then(
        () => process.exit(process.exitCode ?? 0),
        (error: unknown) => {
          console.error(`kv-server ${options.id}: shutdown failed: ${(error as Error).message}`);
          process.exit(1);
        },
      );
    });
  }
}

await main();
