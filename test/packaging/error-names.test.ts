// Every error class the packages export has its own name: a user catching `StorageFailedError`
// must know which failure it is (core and storage-file once exported two different classes by
// that name; storage-file's is StorageNeedsReopenError now).
import * as core from "@flotilla/core";
import * as kvModel from "@flotilla/kv-model";
import * as sim from "@flotilla/sim";
import * as storageFile from "@flotilla/storage-file";
import * as transportMemory from "@flotilla/transport-memory";
import * as transportUdp from "@flotilla/transport-udp";
import { expect, it } from "vitest";

const packages = { core, kvModel, sim, storageFile, transportMemory, transportUdp };

it("no two exported error classes share a name", () => {
  const owners = new Map<string, string[]>();
  for (const [pkg, exports] of Object.entries(packages)) {
    for (const [name, value] of Object.entries(exports)) {
      if (typeof value === "function" && value.prototype instanceof core.FlotillaError) {
        owners.set(name, [...(owners.get(name) ?? []), pkg]);
      }
    }
  }
  expect(owners.size).toBeGreaterThan(10);
  expect([...owners].filter(([, pkgs]) => pkgs.length > 1)).toEqual([]);
});
