// `pnpm bench <name>`: runs one benchmark by name. Each benchmark prints a human table and, as its
// last line, one JSON object with its numbers (docs/benchmarks.md records them).
import { pathToFileURL } from "node:url";
import { benchFlagsUsage, benchUsage } from "./help.js";
import { showElapsed } from "./progress.js";

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
  pauses: "./pauses.ts",
  sim: "./sim.ts",
  growth: "./growth.ts",
};

const [name, ...rest] = process.argv.slice(2);
if (name === "--help" || name === "-h") {
  console.log(benchUsage(Object.keys(benchmarks)));
  process.exit(0);
}
const file = name === undefined ? undefined : benchmarks[name];
if (name === undefined || file === undefined) {
  console.error(
    `${name === undefined ? "bench: which benchmark?" : `bench: no benchmark named ${JSON.stringify(name)}`}\n\n${benchUsage(Object.keys(benchmarks))}`,
  );
  process.exit(2);
}
if (rest.includes("--help") || rest.includes("-h")) {
  console.log(benchFlagsUsage(name));
  process.exit(0);
}
const json = rest.includes("--json");
if (json) jsonOnly();
const module = (await import(pathToFileURL(new URL(file, import.meta.url).pathname).href)) as {
  main(argv: readonly string[]): Promise<void>;
};
const stopElapsed = showElapsed(name);
try {
  await module.main(rest.filter((arg) => arg !== "--json"));
  stopElapsed();
} catch (error) {
  stopElapsed();
  // A mistake on the command line (node:util parseArgs) is one sentence and exit 2, not a trace.
  const code = (error as { code?: unknown }).code;
  if (typeof code !== "string" || !code.startsWith("ERR_PARSE_ARGS_")) throw error;
  console.error(`bench ${name}: ${(error as Error).message} (pnpm bench ${name} --help)`);
  process.exit(2);
}

/**
 * --json: stdout carries only the benchmark's JSON line(s), for scripts; every other line it prints
 * (tables, phases as they finish) goes to stderr, where a person at a terminal sees the progress.
 */
function jsonOnly(): void {
  const print = console.log.bind(console);
  console.log = (...args: unknown[]) => {
    const line = args.map(String).join(" ");
    if (isJsonObject(line)) print(line);
    else console.error(line);
  };
}

function isJsonObject(line: string): boolean {
  if (!line.startsWith("{")) return false;
  try {
    return typeof JSON.parse(line) === "object";
  } catch {
    return false;
  }
}
