import { becomeFollower } from "./become.js";
import { handleRequestVote, handleVoteResponse } from "./election.js";
import { handleAppendEntries } from "./follower.js";
import type { Ctx } from "./internal/context.js";
import type { Message } from "./message.js";
import { refuseReadIndex } from "./read-index.js";
import { handleInstallSnapshot } from "./snapshot-receive.js";

// Pre-candidates and candidates, for messages of the current term (step.ts settled the term):
// count votes, and step down on hearing from the term's leader (§5.2: "if the leader's term is
// at least as large as the candidate's current term, the candidate recognizes the leader").

export function stepCandidate(ctx: Ctx, msg: Message): void {
  switch (msg.type) {
    case "appendEntries":
      becomeFollower(ctx, ctx.s.term, msg.from);
      handleAppendEntries(ctx, msg);
      return;
    case "requestVote":
      handleRequestVote(ctx, msg);
      return;
    case "requestVoteResponse":
      handleVoteResponse(ctx, msg);
      return;
    case "installSnapshot":
      becomeFollower(ctx, ctx.s.term, msg.from);
      handleInstallSnapshot(ctx, msg);
      return;
    case "readIndexRequest":
      refuseReadIndex(ctx, msg);
      return;
    case "appendEntriesResponse":
    case "installSnapshotResponse":
    case "readIndexResponse":
      return;
    case "snapshotRequest":
      // Meant for a leader of this term; a candidate has none to send.
      return;
    case "timeoutNow":
      // Already campaigning (etcd raft ignores it here too): the election under way decides.
      return;
    default:
      unreachable(msg);
  }
}

function unreachable(value: never): never {
  throw new Error(`unreachable: ${JSON.stringify(value)}`);
}
