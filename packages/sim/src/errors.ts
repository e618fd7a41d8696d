import { FlotillaError } from "@flotilla/core";

/** A simulation option is out of range; `field` names it. Local misuse, so it throws. */
export class SimulationOptionsError extends FlotillaError {
  readonly field: string;
  constructor(field: string, message: string) {
    super("SIMULATION_OPTIONS", `invalid simulation option ${field}: ${message}`);
    this.field = field;
  }
}

/** A history given to the linearizability checker is malformed (times, or output vs input kind). */
export class HistoryError extends FlotillaError {
  constructor(message: string) {
    super("HISTORY", message);
  }
}
