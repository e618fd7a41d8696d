// The URL of a read, GET /kv/:key[?consistency=readIndex|lease|log], taken apart without a URL
// object: the server's hottest path (bench kv's read phases, 64 clients), where building a WHATWG
// URL and its searchParams for each request was a measurable share of a read's CPU. Anything it
// does not recognise (another path, a bad percent-encoding, an unknown consistency or another
// query) is left to the general router, which answers it as before.

/** How a GET is served (http-api.ts). */
export type KvReadConsistency = "readIndex" | "lease" | "log";

/** A read of one key. */
export type KvRead = { readonly key: string; readonly consistency: KvReadConsistency };

const prefix = "/kv/";
const consistencies: ReadonlyMap<string, KvReadConsistency> = new Map([
  ["", "readIndex"],
  ["?consistency=readIndex", "readIndex"],
  ["?consistency=lease", "lease"],
  ["?consistency=log", "log"],
]);

/** The read `url` (a request's path and query) asks for, or null if it is not a plain read. */
export function kvReadOf(url: string | undefined): KvRead | null {
  if (url === undefined || !url.startsWith(prefix)) return null;
  const query = url.indexOf("?");
  const end = query < 0 ? url.length : query;
  const consistency = consistencies.get(url.slice(end));
  if (consistency === undefined || end === prefix.length) return null;
  const encoded = url.slice(prefix.length, end);
  if (encoded.includes("/")) return null;
  try {
    return { key: decodeURIComponent(encoded), consistency };
  } catch {
    return null;
  }
}
