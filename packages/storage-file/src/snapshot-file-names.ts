// The names of snapshot files in a FileStorage directory (the layout is described in
// snapshot-files.ts).

import { tempSuffix } from "./meta-files.js";

const dataSuffix = ".data";
const incomingSuffix = `.incoming${tempSuffix}`;

/** The data file of the snapshot at `index`, durable and held. */
export function dataFileName(index: number): string {
  return `snapshot-${index}${dataSuffix}`;
}

/** Where the damaged bytes of the snapshot at `index` are set aside. */
export function quarantineFileName(index: number): string {
  return `snapshot-${index}.damaged`;
}

/** The index of a snapshot data file, or null for any other name. */
export function dataFileIndex(name: string): number | null {
  const match = /^snapshot-(\d+)\.data$/.exec(name);
  return match === null ? null : Number(match[1]);
}

/** The index of a quarantined snapshot file, or null for any other name. */
export function quarantineFileIndex(name: string): number | null {
  const match = /^snapshot-(\d+)\.damaged$/.exec(name);
  return match === null ? null : Number(match[1]);
}

/** The file a snapshot at `index` grows in while it is received in chunks. */
export function incomingFileName(index: number): string {
  return `snapshot-${index}${incomingSuffix}`;
}
