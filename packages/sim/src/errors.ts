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

/**
 * FileStorage found the bytes of the snapshot in force missing or damaged on a disk no fault of
 * the run damaged (it quarantined them, and the node would repair them from its leader): only a
 * bug in writing them can explain it, such as a snapshot put in force before its bytes were
 * durable.
 */
export class SnapshotBytesLostError extends FlotillaError {
  constructor(dir: string, index: number) {
    super(
      "SNAPSHOT_BYTES_LOST",
      `${dir}: the bytes of snapshot ${index} were lost though nothing damaged the disk`,
    );
  }
}

/**
 * A chunk read to send found the bytes of a snapshot its storage holds damaged (it quarantined
 * them, and the node would take the snapshot again) on a disk no fault of the run damaged: only a
 * bug explains it, such as a superseded snapshot's file cut down while the read still used it.
 */
export class SnapshotDamagedUndamagedDiskError extends FlotillaError {
  constructor(node: string, index: number, detail: string) {
    super(
      "SNAPSHOT_DAMAGED_UNDAMAGED_DISK",
      `n${node} found snapshot ${index} damaged though nothing damaged its disk: ${detail}`,
    );
  }
}

/**
 * FileStorage opened a data directory and left files it must remove on open behind: a temp file
 * (a write or a snapshot transfer cut by a crash) or the data file of a snapshot not in force (a
 * transfer or a snapshot superseded). Each is disk space lost for good, once per cut transfer.
 */
export class LeftoverFilesError extends FlotillaError {
  readonly names: readonly string[];
  constructor(dir: string, names: readonly string[]) {
    super("LEFTOVER_FILES", `${dir} still holds ${names.join(", ")} after the storage opened it`);
    this.names = names;
  }
}
