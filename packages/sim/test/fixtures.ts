import type {
  Effect,
  Entry,
  HardState,
  Index,
  NodeId,
  PersistEffect,
  Role,
  Term,
} from "@flotilla/core";
import { nodeId } from "@flotilla/core";

// Hand-made effects for checker tests: just enough to write a trace in a few lines.

export const ids: readonly NodeId[] = ["1", "2", "3"].map(nodeId);

const encoder = new TextEncoder();

export function cmd(index: number, term: number, text = `v${index}.${term}`): Entry {
  return { kind: "command", index: index as Index, term: term as Term, data: encoder.encode(text) };
}

export function noop(index: number, term: number): Entry {
  return { kind: "noop", index: index as Index, term: term as Term };
}

export function hard(term: number, vote: string | null, commit: number): HardState {
  return {
    term: term as Term,
    vote: vote === null ? null : nodeId(vote),
    commit: commit as Index,
  };
}

export function persist(fields: {
  readonly entries?: readonly Entry[];
  readonly truncateFrom?: number;
  readonly hardState?: HardState;
}): PersistEffect {
  return {
    type: "persist",
    entries: fields.entries ?? [],
    then: [],
    ...(fields.truncateFrom === undefined ? {} : { truncateFrom: fields.truncateFrom as Index }),
    ...(fields.hardState === undefined ? {} : { hardState: fields.hardState }),
  };
}

export function role(r: Role, term: number, leader: string | null = null): Effect {
  return {
    type: "roleChanged",
    role: r,
    term: term as Term,
    leader: leader === null ? null : nodeId(leader),
  };
}

export function apply(...entries: Entry[]): Effect {
  return { type: "apply", entries };
}
