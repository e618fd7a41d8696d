import { becomeFollower } from "./become.js";
import { handleRequestVote } from "./election.js";
import type { Ctx } from "./internal/context.js";
import { appendToLog, truncateLog } from "./internal/context.js";
import { asIndex, asTerm } from "./log.js";
import type { AppendEntries, Message } from "./message.js";
import { onReadIndexResponse, refuseReadIndex } from "./read-index.js";
import { handleInstallSnapshot } from "./snapshot-receive.js";
import { handleTimeoutNow } from "./transfer.js";

// A follower's behaviour for messages of the current term (the dispatcher in step.ts has already
// settled the term): accept the leader's log (§5.3) and vote (§5.2).

export function stepFollower(ctx: Ctx, msg: Message): void {
  const s = ctx.s;
  switch (msg.type) {
    case "appendEntries":
      // Learning the term's leader (for example after a vote request bumped our term).
      if (s.leader !== msg.from) becomeFollower(ctx, s.term, msg.from);
      s.electionElapsed = 0;
      handleAppendEntries(ctx, msg);
      askForLostSnapshot(ctx);
      return;
    case "requestVote":
      handleRequestVote(ctx, msg);
      return;
    case "installSnapshot":
      if (s.leader !== msg.from) becomeFollower(ctx, s.term, msg.from);
      s.electionElapsed = 0;
      handleInstallSnapshot(ctx, msg);
      return;
    case "readIndexRequest":
      refuseReadIndex(ctx, msg);
      return;
    case "readIndexResponse":
      onReadIndexResponse(ctx, msg);
      return;
    case "timeoutNow": {
      const reason = handleTimeoutNow(ctx, msg);
      if (reason !== null) ctx.dropReason = reason;
      return;
    }
    case "requestVoteResponse":
    case "appendEntriesResponse":
    case "installSnapshotResponse":
    case "snapshotRequest":
      // Leftovers from an election we ran or a term we led: nothing to do.
      return;
    default:
      unreachable(msg);
  }
}

/**
 * A node that lost its snapshot's bytes asks the leader for one at or past it with every answer
 * to the leader's AppendEntries: as often as the leader sends, never more (the leader ignores the
 * requests while its transfer is under way).
 */
function askForLostSnapshot(ctx: Ctx): void {
  const s = ctx.s;
  if (!s.snapshotLost || s.snapshot === null || s.leader === null) return;
  ctx.messages.push({
    type: "snapshotRequest",
    from: s.id,
    to: s.leader,
    term: asTerm(s.term),
    snapshotIndex: asIndex(s.snapshot.index),
  });
}

/** §5.3: the consistency check, conflict truncation, append, and commit from the leader. */
export function handleAppendEntries(ctx: Ctx, msg: AppendEntries): void {
  const s = ctx.s;
  let prev: number = msg.prevLogIndex;
  let prevTerm: number = msg.prevLogTerm;
  let entries = msg.entries;
  // Entries up to our commit are known to match the leader's log (Leader Completeness), and may
  // already be compacted away: check from the commit index instead.
  if (prev < s.commit) {
    const skip = Math.min(s.commit - prev, entries.length);
    // Unless a node lost its disk (amnesia), which Raft cannot make safe: then the leader may
    // lack entries we committed. Acknowledging its different ones without holding them, and
    // rejecting the first past our commit, made it probe back and stream them again for ever, at
    // network speed (docs/testing.md, the amnesia seed 14 storm). Dropped instead, reported: the
    // leader's heartbeats alone keep asking, and nothing spins.
    const lost = committedConflict(s.log, entries, skip);
    if (lost !== null) {
      ctx.dropReason = `entry ${lost} differs from the one committed here: the leader lacks a committed entry`;
      return;
    }
    if (skip === entries.length) {
      reply(ctx, msg, { success: true, matchIndex: asIndex(prev + skip) });
      return;
    }
    if (skip > 0) prevTerm = entries[skip - 1]?.term ?? prevTerm; // never index -1 (membership-log.ts)
    entries = entries.slice(skip);
    prev += skip;
  }
  const ourPrevTerm = s.log.term(prev);
  if (ourPrevTerm === undefined) {
    // Our log is shorter: tell the leader where it ends.
    reply(ctx, msg, {
      success: false,
      conflictTerm: asTerm(0),
      conflictIndex: asIndex(s.log.lastIndex + 1),
    });
    return;
  }
  if (ourPrevTerm !== prevTerm) {
    reply(ctx, msg, {
      success: false,
      conflictTerm: asTerm(ourPrevTerm),
      conflictIndex: asIndex(s.log.firstIndexOfTerm(ourPrevTerm, prev)),
    });
    return;
  }
  // Skip what we already hold; truncate at the first entry whose term differs (§5.3).
  let k = 0;
  while (k < entries.length) {
    const entry = entries[k]!;
    const ours = s.log.term(entry.index);
    if (ours === undefined) break;
    if (ours !== entry.term) {
      if (entry.index <= s.commit) {
        ctx.dropReason = `would truncate committed entry ${entry.index}`;
        return;
      }
      truncateLog(ctx, entry.index);
      break;
    }
    k++;
  }
  if (k < entries.length) appendToLog(ctx, k === 0 ? entries : entries.slice(k));
  const matchIndex = prev + entries.length;
  // Commit only what this message proves we share with the leader (§5.3).
  const commit = Math.min(msg.leaderCommit, matchIndex);
  if (commit > s.commit) s.commit = commit;
  reply(ctx, msg, { success: true, matchIndex: asIndex(matchIndex) });
}

type Outcome =
  | { readonly success: true; readonly matchIndex: ReturnType<typeof asIndex> }
  | {
      readonly success: false;
      readonly conflictIndex: ReturnType<typeof asIndex>;
      readonly conflictTerm: ReturnType<typeof asTerm>;
    };

function reply(ctx: Ctx, msg: AppendEntries, outcome: Outcome): void {
  const s = ctx.s;
  // Held: an acknowledgement promises the entries are durable (Figure 2).
  ctx.held.push({
    type: "appendEntriesResponse",
    from: s.id,
    to: msg.from,
    term: asTerm(s.term),
    seq: msg.seq,
    ...outcome,
  });
}

function unreachable(value: never): never {
  throw new Error(`unreachable: ${JSON.stringify(value)}`);
}

/** The index of the first of `entries[0..count)` that differs from ours (we hold it), or null. */
function committedConflict(
  log: { term(index: number): number | undefined },
  entries: readonly { readonly index: number; readonly term: number }[],
  count: number,
): number | null {
  for (let i = 0; i < count; i++) {
    const entry = entries[i]!;
    const ours = log.term(entry.index);
    if (ours !== undefined && ours !== entry.term) return entry.index;
  }
  return null;
}
