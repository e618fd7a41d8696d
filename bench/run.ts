// `pnpm bench <name>`: runs one benchmark by name. Each benchmark prints a human table and, as its
// last line, one JSON object with its numbers (docs/benchmarks.md records them).
import { pathToFileURL } from "node:url";

const benchmarks: Record<string, string> = {
  core: "./core.ts",
  storage: "./storage.ts",
  udp: "./udp.ts",
  compaction: "./compaction.ts",
  network: "./network.ts",
  codec: "./codec.ts",
  driver: "./driver.ts",
  kv: "./kv.ts",
  latency: "./latency.ts",
  failover: "./failover.ts",
  sim: "./sim.ts",
};

const name = process.argv[2];
const file = name === undefined ? undefined : benchmarks[name];
if (file === undefined) {
  console.error(`usage: pnpm bench <${Object.keys(benchmarks).join("|")}> [options]`);
  process.exit(2);
}
const module = (await import(pathToFileURL(new URL(file, import.meta.url).pathname).href)) as {
  main(argv: readonly string[]): Promise<void>;
};
try {
  await module.main(process.argv.slice(3));
} catch (error) {
  // A mistake on the command line (node:util parseArgs) is one sentence and exit 2, not a trace.
  const code = (error as { code?: unknown }).code;
  if (typeof code !== "string" || !code.startsWith("ERR_PARSE_ARGS_")) throw error;
  console.error(`bench ${name}: ${(error as Error).message}`);
  process.exit(2);
}
