// A planned stop of the leader (SIGTERM, SIGINT) hands leadership over first (Raft thesis §3.10),
// so the cluster goes from one leader to the next in about a round trip instead of waiting out an
// election timeout with nobody leading, and the proposals this leader already appended commit
// before it goes (the target must hold them all before it is told to campaign).

import type { FlotillaNode, NodeId, NodeStatus } from "@flotilla/core";
import type { Logger } from "pino";

/**
 * The voter best placed to take over from this leader: the one that holds the most of its log
 * among those it heard from recently (ties: the first in id order, so the choice is stable), or
 * among all the other voters when it heard from none. "Recently" is reset at every CheckQuorum
 * check (each election timeout), so for about a round trip after one no voter counts as recent:
 * a SIGTERM landing then still hands over (a dead target just costs the transfer's timeout).
 * Null when this node does not lead or has no other voter.
 */
export function transferTarget(status: NodeStatus): NodeId | null {
  if (status.role !== "leader" || status.progress === undefined) return null;
  const voters = new Set<string>(status.membership.voters);
  const others = Object.entries(status.progress).filter(
    ([id]) => voters.has(id) && id !== status.id,
  );
  const recent = others.filter(([, progress]) => progress.recentActive);
  let best: { id: NodeId; match: number } | null = null;
  for (const [id, progress] of recent.length > 0 ? recent : others) {
    if (
      best === null ||
      progress.match > best.match ||
      (progress.match === best.match && id < best.id)
    ) {
      best = { id: id as NodeId, match: progress.match };
    }
  }
  return best?.id ?? null;
}

/**
 * Hands leadership to the best target (`transferTarget`) if this node leads. Resolves with the new
 * leader, or null when there was nothing to hand over or the transfer failed (logged): a stopping
 * server goes on stopping either way, and the cluster then elects a leader as after a crash.
 */
export async function handOverLeadership(
  node: FlotillaNode<unknown>,
  timeoutMs: number,
  log: Logger,
): Promise<NodeId | null> {
  const target = transferTarget(node.status());
  if (target === null) return null;
  const startedMs = performance.now();
  try {
    await node.transferLeadership(target, { timeoutMs });
    const ms = Math.round(performance.now() - startedMs);
    log.info({ to: target, ms }, "handed leadership over");
    return target;
  } catch (error) {
    log.warn({ to: target, err: error }, "could not hand leadership over");
    return null;
  }
}
