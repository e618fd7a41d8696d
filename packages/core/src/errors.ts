// Two kinds of error, as in h11: local misuse of the API throws one of these; bad input from a
// remote peer never throws (the reducer reports it as a `dropped` effect, transports count it).

/** How a FlotillaError is made: its cause, and whether it captures a stack. */
export type FlotillaErrorOptions = {
  readonly cause?: unknown;
  /**
   * False for an expected outcome that a busy node reports by the thousand (not the leader,
   * overloaded, stepped down): its stack would only ever name the driver's notifier, and capturing
   * it was 2-3% of the simulator's time in a browser (issue #15). Honoured where the runtime has
   * V8's `Error.stackTraceLimit`; elsewhere the error has its stack as usual. A debugger attached
   * to V8 (DevTools, or a browser driven over its protocol as the playground's measurements are)
   * captures every new error's stack whatever the limit, at a cost that grows with its depth: so
   * the driver makes these errors on a short stack, in the task that settles them (notifier.ts).
   */
  readonly stack?: boolean;
};

/** `Error` as V8 extends it: `stackTraceLimit` bounds the frames a new error captures. */
const errorConstructor: ErrorConstructor & { stackTraceLimit?: unknown } = Error;

/** The base of every error Flotilla throws or rejects with; `code` is stable for programs to test. */
export class FlotillaError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: FlotillaErrorOptions) {
    const limit = errorConstructor.stackTraceLimit;
    const stackless = options?.stack === false && typeof limit === "number";
    if (stackless) errorConstructor.stackTraceLimit = 0;
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    if (stackless) errorConstructor.stackTraceLimit = limit;
    this.name = new.target.name;
    this.code = code;
  }
}

/** A configuration value is out of range or inconsistent; `field` names it. */
export class ConfigError extends FlotillaError {
  readonly field: string;
  constructor(field: string, message: string) {
    super("CONFIG", `invalid config.${field}: ${message}`);
    this.field = field;
  }
}

/** The reducer was given an event it does not know (a programming error in the caller). */
export class UnknownEventError extends FlotillaError {
  constructor(readonly event: unknown) {
    super("UNKNOWN_EVENT", `unknown event: ${describe(event)}`);
  }
}

/** A value given to `nodeId`, `term` or `index` cannot be one (empty, negative, fractional...). */
export class InvalidValueError extends FlotillaError {
  constructor(message: string) {
    super("INVALID_VALUE", message);
  }
}

/** A local event that is well-formed but not valid in this state (e.g. applying past commit). */
export class InvalidEventError extends FlotillaError {
  constructor(message: string) {
    super("INVALID_EVENT", message);
  }
}

function describe(value: unknown): string {
  if (typeof value === "object" && value !== null && "type" in value) {
    return JSON.stringify((value as { type: unknown }).type);
  }
  return typeof value;
}
