import { FlotillaError } from "@flotilla/core";

// Local misuse of the simulated network or the checker throws one of these (h11's rule: the
// caller's own mistakes throw; bad input from "remote" nodes is dropped and counted instead).

/** A network, link or latency option is out of range; `field` names it. */
export class NetworkConfigError extends FlotillaError {
  readonly field: string;
  constructor(field: string, message: string) {
    super("NETWORK_CONFIG", `invalid network option ${field}: ${message}`);
    this.field = field;
  }
}

/** The simulated network was used wrongly (time moved backwards, a mismatched envelope...). */
export class NetworkMisuseError extends FlotillaError {
  constructor(message: string) {
    super("NETWORK_MISUSE", message);
  }
}
