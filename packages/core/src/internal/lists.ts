// Arrays that V8 sees as one kind. An array's map records its elements kind: an empty literal is
// PACKED_SMI_ELEMENTS until an object is stored, a frozen array PACKED_FROZEN_ELEMENTS, a list
// built on its first item PACKED_ELEMENTS. Code optimized for lists of one kind deoptimizes on
// another (issue 15: a fresh playground worker met the shared frozen empty lists after optimizing
// for built ones). Lists of objects or strings are made of this kind here, empty ones included.

/** A new empty array already of the kind a list of objects or strings has (PACKED_ELEMENTS). */
export function objectList<T>(): T[] {
  const list: T[] = [undefined as T];
  list.pop();
  return list;
}

/**
 * The list a step, a take or a report shares when it has nothing (so that it builds no array),
 * of the kind its non-empty lists have. Not frozen, which would make it a kind of its own: its
 * `readonly never[]` type keeps it empty.
 */
export const noItems: readonly never[] = objectList<never>();

/**
 * Appends `items` to `list` by an indexed loop: a for-of builds an iterator until V8 optimizes
 * it, `list.push(...items)` passes every item as an argument, and `flatMap` calls back per item
 * through a generic builtin (issue 15: a fresh worker's first run).
 */
export function pushAll<T>(list: T[], items: readonly T[]): void {
  for (let i = 0; i < items.length; i++) list.push(items[i]!);
}
