// Branded primitives. A Term and an Index are both numbers at run time, but mixing them up is the
// classic Raft bug (comparing a term with an index, sending a commit where a term belongs), so the
// type system keeps them apart. Brands cost nothing at run time.

import { InvalidValueError } from "./errors.js";

declare const nodeIdBrand: unique symbol;
declare const termBrand: unique symbol;
declare const indexBrand: unique symbol;

/** A node's identity within a cluster. Any non-empty string the application chooses. */
export type NodeId = string & { readonly [nodeIdBrand]: true };
/** A Raft term: a non-negative safe integer; 0 means "before any election". */
export type Term = number & { readonly [termBrand]: true };
/** A log index: a non-negative safe integer; entries start at 1, and 0 means "none". */
export type Index = number & { readonly [indexBrand]: true };

/** Brands a string as a `NodeId`; throws `InvalidValueError` for an empty string or a non-string. */
export function nodeId(value: string): NodeId {
  if (typeof value !== "string" || value.length === 0) {
    throw new InvalidValueError(
      `a node id must be a non-empty string, got ${JSON.stringify(value)}`,
    );
  }
  return value as NodeId;
}

/** Brands a number as a `Term`; throws `InvalidValueError` unless it is a non-negative safe integer. */
export function term(value: number): Term {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new InvalidValueError(`a term must be a non-negative safe integer, got ${value}`);
  }
  return value as Term;
}

/** Brands a number as an `Index`; throws `InvalidValueError` unless it is a non-negative safe integer. */
export function index(value: number): Index {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new InvalidValueError(`a log index must be a non-negative safe integer, got ${value}`);
  }
  return value as Index;
}
