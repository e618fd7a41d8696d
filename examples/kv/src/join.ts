// A joining server's first step: ask a member for the cluster's addresses (GET /members), so its
// transport accepts the leader's messages once `kv member add` makes it a member (datagrams from
// a sender it has no address for are dropped). The rest, including members added later, arrives
// with the log or the leader's snapshot (address-book.ts).

import type { MemberAddresses } from "./address-book.js";
import { formatHostPort, type HostPort } from "./addresses.js";
import { checkRecord } from "./member-command.js";

/**
 * Asks each of `targets` in turn, again and again, until one answers or `timeoutMs` passed; the
 * answer's address records (checked), or null when none answered.
 */
export async function fetchClusterAddresses(
  targets: readonly HostPort[],
  timeoutMs: number,
): Promise<{ readonly members: KnownMember[]; readonly from: string } | null> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    for (const target of targets) {
      const from = `http://${formatHostPort(target)}`;
      const members = await askMembers(from);
      if (members !== null) return { members, from };
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return null;
}

type KnownMember = { readonly id: string; readonly addresses: MemberAddresses };

async function askMembers(url: string): Promise<KnownMember[] | null> {
  try {
    const response = await fetch(`${url}/members`, { signal: AbortSignal.timeout(2000) });
    if (!response.ok) return null;
    const body = (await response.json()) as { addresses?: unknown };
    if (!Array.isArray(body.addresses)) return null;
    return body.addresses.map((record: unknown) => checkRecord(record));
  } catch {
    return null; // not up yet, not a kv server, or an answer we cannot read: try the next
  }
}
