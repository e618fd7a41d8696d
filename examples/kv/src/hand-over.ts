// A planned stop of the leader (SIGTERM, SIGINT) hands leadership over first (Raft thesis §3.10),
// so the cluster goes from one leader to the next in about a round trip instead of waiting out an
// election timeout with nobody leading, and the proposals this leader already appended commit
// before it goes (the target must hold them all before it is told to campaign).

import type { FlotillaNode, NodeId, NodeStatus } from "@flotilla/core";
import type { Logger } from "pino";

/**
 * The voter best placed to take over from this leader: the one it heard from recently that holds
 * the most of its log (ties: the first in id order, so the choice is stable). Null when this node
 * does not lead or no other voter qualifies.
 */
export function transferTarget(status: NodeStatus): NodeId | null {
  if (status.role !== "leader" || status.progress === undefined) return null;
  const voters = new Set<string>(status.membership.voters);
  let best: { id: NodeId; match: number } | null = null;
  for (const [id, progress] of Object.entries(status.progress)) {
    if (!voters.has(id) || !progress.recentActive) continue;
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
