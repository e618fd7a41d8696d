// Address lists on the command line: "a=127.0.0.1:7001,b=127.0.0.1:7002" (IPv6 as "[::1]:7001").
// A bare port ("a=7001") means loopback, 127.0.0.1: nothing listens beyond this machine unless
// an address says so.

export class UsageError extends Error {
  override name = "UsageError";
}

export type HostPort = { readonly host: string; readonly port: number };

export const loopback = "127.0.0.1";

/** Parses "host:port", "[v6]:port" or a bare port (on loopback); null if it is none of them. */
export function parseHostPort(text: string): HostPort | null {
  if (/^[0-9]{1,5}$/.test(text.trim())) {
    const port = Number(text.trim());
    return port <= 65_535 ? { host: loopback, port } : null;
  }
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):([0-9]{1,5})$/.exec(text.trim());
  if (match === null) return null;
  const port = Number(match[3]);
  if (!(port >= 0 && port <= 65_535)) return null;
  return { host: (match[1] ?? match[2]) as string, port };
}

export function formatHostPort({ host, port }: HostPort): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Parses "id=host:port,..." into a map; throws UsageError naming the option and the bad part. */
export function parseAddressMap(option: string, text: string): Map<string, HostPort> {
  const out = new Map<string, HostPort>();
  for (const part of text.split(",").filter((p) => p.trim() !== "")) {
    const eq = part.indexOf("=");
    const id = part.slice(0, eq).trim();
    const address = eq > 0 ? parseHostPort(part.slice(eq + 1)) : null;
    if (id === "" || address === null) {
      throw new UsageError(`--${option}: expected id=host:port, got ${JSON.stringify(part)}`);
    }
    if (out.has(id)) throw new UsageError(`--${option}: node ${id} is listed twice`);
    out.set(id, address);
  }
  if (out.size === 0) throw new UsageError(`--${option}: no nodes given`);
  return out;
}
