// `pnpm bench sim --allocation`: what one simulation allocates, per event and by function, from
// V8's sampling heap profiler with the objects already collected counted too (so the total is
// every byte allocated, not what is still alive). The playground's first run is bound by this
// (issue #15): every byte is young-generation work in a fresh worker. The profiler slows the run,
// so the events/s of a run with it are not the simulator's speed.
import { Session } from "node:inspector/promises";
import { relative } from "node:path";
import { fileURLToPath } from "node:url";

type ProfileNode = {
  readonly callFrame: { readonly functionName: string; readonly url: string };
  readonly selfSize: number;
  readonly children: readonly ProfileNode[];
};

/** Bytes allocated in a run, and by the functions that allocated them (most first). */
export type AllocationReport = {
  readonly bytes: number;
  readonly byFunction: readonly { readonly site: string; readonly bytes: number }[];
};

/** One sample per this many bytes allocated, on average (V8's default is 32 KiB). */
const samplingIntervalBytes = 4096;
const root = fileURLToPath(new URL("..", import.meta.url));

/** Runs `run` under the sampling heap profiler: its result, and what it allocated. */
export async function measureAllocation<T>(
  run: () => Promise<T>,
): Promise<{ readonly result: T; readonly allocation: AllocationReport }> {
  const session = new Session();
  session.connect();
  try {
    await session.post("HeapProfiler.enable");
    // Node's typings lack the two flags that count the objects collected before the profile ends.
    const options = {
      samplingInterval: samplingIntervalBytes,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    };
    await session.post("HeapProfiler.startSampling", options);
    const result = await run();
    const { profile } = await session.post("HeapProfiler.stopSampling");
    return { result, allocation: summarize(profile.head as ProfileNode) };
  } finally {
    session.disconnect();
  }
}

function summarize(head: ProfileNode): AllocationReport {
  const bySite = new Map<string, number>();
  let bytes = 0;
  const pending = [head];
  for (let node = pending.pop(); node !== undefined; node = pending.pop()) {
    bytes += node.selfSize;
    if (node.selfSize > 0) {
      const site = siteOf(node.callFrame);
      bySite.set(site, (bySite.get(site) ?? 0) + node.selfSize);
    }
    pending.push(...node.children);
  }
  const byFunction = [...bySite]
    .map(([site, siteBytes]) => ({ site, bytes: siteBytes }))
    .sort((a, b) => b.bytes - a.bytes);
  return { bytes, byFunction };
}

/** "packages/core/src/step.ts finish", or a builtin's name ("(builtin) push"). */
function siteOf({ functionName, url }: ProfileNode["callFrame"]): string {
  const name = functionName === "" ? "(anonymous)" : functionName;
  if (url === "") return `(builtin) ${name}`;
  const path = url.startsWith("file:") ? relative(root, fileURLToPath(url)) : url;
  return `${path} ${name}`;
}
