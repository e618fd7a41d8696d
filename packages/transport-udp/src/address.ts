// Peer addresses: "host:port" or "[ipv6]:port". Inbound datagrams are matched against the peer's
// configured address by string equality, so both sides are put in the canonical text form the
// socket reports (`rinfo.address`), e.g. "[0:0:0:0:0:0:0:1]" and "::1" are the same peer.
import { lookup as lookupCallback } from "node:dns";
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";

export type HostPort = { readonly host: string; readonly port: number };
export type IpAddress = { readonly address: string; readonly family: 4 | 6 };

/** Splits "host:port" / "[v6]:port"; null if it has no valid port or an empty host. */
export function parseHostPort(text: string): HostPort | null {
  const bracketed = /^\[([^\]]+)\]:(\d+)$/.exec(text);
  const plain = bracketed === null ? /^([^:[\]]+):(\d+)$/.exec(text) : null;
  const match = bracketed ?? plain;
  if (match === null) return null;
  const host = match[1]!;
  const port = Number(match[2]);
  if (bracketed !== null && isIP(host) !== 6) return null;
  if (!Number.isInteger(port) || port < 1 || port > 65_535) return null;
  return { host, port };
}

/** An IP literal in canonical form, or null if `host` is not an IP literal. */
export function canonicalIp(host: string): IpAddress | null {
  const family = isIP(host);
  if (family === 4) return { address: new URL(`http://${host}/`).hostname, family };
  if (family === 6) {
    // URL compresses and lower-cases IPv6 (RFC 5952), as inet_ntop does for rinfo.address. Zone
    // ids ("fe80::1%eth0") are not valid in URLs; they are kept as written.
    if (host.includes("%")) return { address: host, family };
    return { address: new URL(`http://[${host}]/`).hostname.slice(1, -1), family };
  }
  return null;
}

/** Resolves a host name once, at start-up; IP literals are only canonicalised. */
export async function resolveHost(host: string, family?: 4 | 6): Promise<IpAddress> {
  const literal = canonicalIp(host);
  if (literal !== null) return literal;
  const found = await lookup(host, family === undefined ? {} : { family });
  const canonical = canonicalIp(found.address);
  if (canonical === null) throw new RangeError(`lookup of ${host} gave ${found.address}`);
  return canonical;
}

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string,
  family: number,
) => void;

/**
 * The socket's `lookup`: IP literals are answered at once, in the caller's job. Every address the
 * transport sends to was resolved at start-up (`resolveHost`), so that is every send. Node's
 * default (dns.lookup) answers even a literal on a later tick, which put each datagram behind the
 * rest of the driver's turn (its storage write, applies and settling) instead of on the wire when
 * the driver asked: a leader's AppendEntries must overlap its own write (Raft thesis §10.2.1).
 * Anything else goes to dns.lookup as before.
 */
export function literalLookup(hostname: string, options: unknown, callback: LookupCallback): void {
  const family = isIP(hostname);
  if (family !== 0) {
    callback(null, hostname, family);
    return;
  }
  const wanted = typeof options === "number" ? options : 0;
  lookupCallback(hostname, { family: wanted }, (error, address, found) =>
    callback(error, address, found),
  );
}
