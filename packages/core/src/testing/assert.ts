// The few assertions the storage conformance suite needs, so that it runs under any test
// framework (vitest, jest, mocha, node:test) without depending on one.

/** A conformance check failed; the message says what was expected and what was found. */
export class ConformanceFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConformanceFailure";
  }
}

/**
 * Structural equality of plain data: primitives, arrays, Uint8Arrays (byte by byte) and plain
 * objects (a property holding `undefined` counts as absent).
 */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    if (!(a instanceof Uint8Array && b instanceof Uint8Array) || a.length !== b.length)
      return false;
    return a.every((byte, i) => byte === b[i]);
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!(Array.isArray(a) && Array.isArray(b)) || a.length !== b.length) return false;
    return a.every((item, i) => deepEqual(item, b[i]));
  }
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  const keys = (value: object) =>
    Object.keys(value).filter((key) => (value as Record<string, unknown>)[key] !== undefined);
  const keysA = keys(a);
  if (keysA.length !== keys(b).length) return false;
  return keysA.every((key) =>
    deepEqual((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]),
  );
}

export function expectEqual(actual: unknown, expected: unknown, what: string): void {
  if (!deepEqual(actual, expected)) {
    throw new ConformanceFailure(`${what}: expected ${show(expected)}, got ${show(actual)}`);
  }
}

/** Awaits `promise` and checks it rejected with an instance of `type`. */
export async function expectRejection(
  promise: Promise<unknown>,
  type: abstract new (...args: never[]) => Error,
  what: string,
): Promise<void> {
  let outcome: { readonly rejected: boolean; readonly value: unknown };
  try {
    outcome = { rejected: false, value: await promise };
  } catch (error) {
    outcome = { rejected: true, value: error };
  }
  if (!outcome.rejected) throw new ConformanceFailure(`${what}: expected ${type.name}, resolved`);
  if (!(outcome.value instanceof type)) {
    throw new ConformanceFailure(`${what}: expected ${type.name}, got ${String(outcome.value)}`);
  }
}

function show(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    item instanceof Uint8Array ? `bytes[${[...item].join(",")}]` : item,
  );
}
