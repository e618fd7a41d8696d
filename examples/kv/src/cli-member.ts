// `kv member ...`: the membership commands of the CLI (cli.ts parses the command line).
//
//   kv member list
//   kv member add ID --raft HOST:PORT --api HOST:PORT [--learner]
//   kv member promote ID
//   kv member remove ID
//
// Any server's address will do: the client goes to the leader (member-api.ts serves these).

import { formatHostPort, type HostPort, parseHostPort } from "./addresses.js";
import type { KvClient } from "./client.js";
import type { MembersView } from "./server-views.js";

/** The flags only `member add` takes. */
export type MemberFlags = {
  readonly raft?: string | undefined;
  readonly api?: string | undefined;
  readonly learner?: boolean | undefined;
};

const operands: Readonly<Record<string, readonly string[]>> = {
  list: [],
  add: ["ID"],
  promote: ["ID"],
  remove: ["ID"],
};

/** One sentence saying what is wrong with a `member` command line, or null if nothing is. */
export function memberMistake(args: readonly string[], flags: MemberFlags): string | null {
  const [sub, ...rest] = args;
  if (sub === undefined) return "member takes list, add, promote or remove";
  const expected = operands[sub];
  if (expected === undefined) return `unknown member command ${JSON.stringify(sub)}`;
  if (expected.length !== rest.length) {
    const wanted = expected.length === 0 ? "no operands" : expected.join(" ");
    return `member ${sub} takes ${wanted}, got ${rest.length} operand${rest.length === 1 ? "" : "s"}`;
  }
  if (expected[0] === "ID" && rest[0] === "") return "the node id must not be empty";
  if (sub !== "add") {
    const given = (["raft", "api", "learner"] as const).find((flag) => flags[flag] !== undefined);
    return given === undefined ? null : `--${given} goes only with member add`;
  }
  for (const flag of ["raft", "api"] as const) {
    const value = flags[flag];
    if (value === undefined) return `member add needs --${flag} HOST:PORT`;
    if (parseHostPort(value) === null) {
      return `--${flag}: expected HOST:PORT, got ${JSON.stringify(value)}`;
    }
  }
  return null;
}

/** Runs a checked `member` command; returns the exit code. */
export async function runMember(
  client: KvClient,
  args: readonly string[],
  flags: MemberFlags,
): Promise<number> {
  const [sub, id = ""] = args;
  switch (sub) {
    case "list":
      printMembers(await client.members());
      return 0;
    case "add": {
      const raft = canonical(flags.raft);
      const api = canonical(flags.api);
      const { role } = await client.addMember(
        id,
        { raft, api },
        { learner: flags.learner === true },
      );
      console.log(`OK: ${id} is a ${role}`);
      return 0;
    }
    case "promote":
      await client.promoteMember(id);
      console.log(`OK: ${id} is a voter`);
      return 0;
    default:
      await client.removeMember(id);
      console.log(`OK: ${id} was removed`);
      return 0;
  }
}

/** A checked HOST:PORT written out in full (a bare port is loopback), as every member records it. */
function canonical(text: string | undefined): string {
  return formatHostPort(parseHostPort(text ?? "") as HostPort);
}

function printMembers(view: MembersView): void {
  const joint = view.joint ? ", joint configuration (a change in progress)" : "";
  console.log(`leader ${view.leader ?? "-"}, term ${view.term}${joint}`);
  for (const m of view.members) {
    const match = m.match === undefined ? "" : `  match ${m.match}`;
    console.log(
      `${m.id.padEnd(8)} ${m.role.padEnd(8)} raft ${m.raft ?? "?"}  api ${m.api ?? "?"}${match}`,
    );
  }
}
