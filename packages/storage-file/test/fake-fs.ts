// An in-memory FileSystem that knows what has been synced. `crash()` returns the file system as
// it would be found after power loss: every file holds its synced bytes plus a prefix of its
// unsynced writes (the last one possibly torn at any byte), and the directory holds its synced
// entries plus a prefix of its unsynced creations, renames and removals.
//
// Every mutating call is a numbered "point"; with `crashAtPoint` the file system crashes just
// before that call (it and every later call throw FakeCrash), so a test can crash a scripted run
// at each point in turn.

import { basename, dirname } from "node:path";
import type { FileSystem, WritableFile } from "../src/index.js";

export class FakeCrash extends Error {}

type FileOp =
  | { readonly kind: "write"; readonly position: number; readonly data: Uint8Array }
  | { readonly kind: "truncate"; readonly size: number };

class FakeFile {
  current: Uint8Array = new Uint8Array(0);
  durable: Uint8Array = new Uint8Array(0);
  pending: FileOp[] = [];
}

type DirOp =
  | { readonly kind: "link"; readonly name: string; readonly file: FakeFile }
  | { readonly kind: "unlink"; readonly name: string }
  /** Atomic: a crash keeps it whole or loses it whole. */
  | {
      readonly kind: "rename";
      readonly from: string;
      readonly to: string;
      readonly file: FakeFile;
    };

class FakeDir {
  current = new Map<string, FakeFile>();
  durable = new Map<string, FakeFile>();
  pending: DirOp[] = [];
}

/** How much unsynced state survives a crash: none, all, or a random prefix (torn) per file. */
export type CrashMode = "loseUnsynced" | "keepUnsynced" | { readonly random: () => number };

export class FakeFileSystem implements FileSystem {
  readonly #dirs = new Map<string, FakeDir>();
  points = 0;
  crashAtPoint: number | undefined = undefined;
  #crashed = false;

  async mkdir(dir: string): Promise<void> {
    this.#check(false);
    if (!this.#dirs.has(dir)) this.#dirs.set(dir, new FakeDir());
  }

  async readdir(dir: string): Promise<string[]> {
    this.#check(false);
    return [...this.#dir(dir).current.keys()];
  }

  async readFile(path: string): Promise<Uint8Array | null> {
    this.#check(false);
    return this.#dir(dirname(path)).current.get(basename(path))?.current.slice() ?? null;
  }

  async openWritable(path: string, mode: "create" | "existing"): Promise<WritableFile> {
    const dir = this.#dir(dirname(path));
    const name = basename(path);
    let file = dir.current.get(name);
    if (mode === "existing") {
      this.#check(false);
      if (file === undefined) throw Object.assign(new Error(`ENOENT ${path}`), { code: "ENOENT" });
    } else {
      this.#check(true);
      if (file === undefined) {
        file = new FakeFile();
        dir.current.set(name, file);
        dir.pending.push({ kind: "link", name, file });
      } else {
        applyOp(file, { kind: "truncate", size: 0 });
      }
    }
    return this.#handle(file);
  }

  async createExclusive(path: string, data: Uint8Array): Promise<boolean> {
    this.#check(true);
    const dir = this.#dir(dirname(path));
    const name = basename(path);
    if (dir.current.has(name)) return false;
    const file = new FakeFile();
    dir.current.set(name, file);
    dir.pending.push({ kind: "link", name, file });
    applyOp(file, { kind: "write", position: 0, data: data.slice() });
    return true;
  }

  async rename(from: string, to: string): Promise<void> {
    this.#check(true);
    const dir = this.#dir(dirname(from));
    const file = dir.current.get(basename(from));
    if (file === undefined) throw Object.assign(new Error(`ENOENT ${from}`), { code: "ENOENT" });
    dir.current.delete(basename(from));
    dir.current.set(basename(to), file);
    dir.pending.push({ kind: "rename", from: basename(from), to: basename(to), file });
  }

  async unlink(path: string): Promise<void> {
    this.#check(true);
    const dir = this.#dir(dirname(path));
    if (dir.current.delete(basename(path)))
      dir.pending.push({ kind: "unlink", name: basename(path) });
  }

  async syncDir(dir: string): Promise<void> {
    this.#check(true);
    const state = this.#dir(dir);
    for (const op of state.pending) applyDirOp(state.durable, op);
    state.pending = [];
  }

  /** The file system found after a crash now (see the file comment). */
  crash(mode: CrashMode): FakeFileSystem {
    const after = new FakeFileSystem();
    for (const [path, dir] of this.#dirs) {
      const entries = new Map(dir.durable);
      const kept = dir.pending.slice(0, keptCount(dir.pending.length, mode));
      for (const op of kept) applyDirOp(entries, op);
      const fresh = new FakeDir();
      for (const [name, file] of entries) {
        const copy = new FakeFile();
        copy.current = crashedContent(file, mode);
        copy.durable = copy.current.slice();
        fresh.current.set(name, copy);
        fresh.durable.set(name, copy);
      }
      after.#dirs.set(path, fresh);
    }
    return after;
  }

  /** Every byte of the current state, fully synced: a copy to corrupt or to crash separately. */
  clone(): FakeFileSystem {
    return this.crash("keepUnsynced");
  }

  /** Direct access to a file's current bytes, for tests that damage them. */
  bytesOf(path: string): Uint8Array | undefined {
    return this.#dir(dirname(path)).current.get(basename(path))?.current;
  }

  #handle(file: FakeFile): WritableFile {
    return {
      write: async (data, position) => {
        this.#check(true);
        applyOp(file, { kind: "write", position, data: data.slice() });
      },
      sync: async () => {
        this.#check(true);
        file.durable = file.current.slice();
        file.pending = [];
      },
      truncate: async (size) => {
        this.#check(true);
        applyOp(file, { kind: "truncate", size });
      },
      close: async () => {},
    };
  }

  #check(mutates: boolean): void {
    if (this.#crashed) throw new FakeCrash("crashed");
    if (!mutates) return;
    this.points += 1;
    if (this.points === this.crashAtPoint) {
      this.#crashed = true;
      throw new FakeCrash(`crash at point ${this.points}`);
    }
  }

  #dir(path: string): FakeDir {
    const dir = this.#dirs.get(path);
    if (dir === undefined) throw Object.assign(new Error(`ENOENT ${path}`), { code: "ENOENT" });
    return dir;
  }
}

function keptCount(pending: number, mode: CrashMode): number {
  if (mode === "loseUnsynced") return 0;
  if (mode === "keepUnsynced") return pending;
  return Math.floor(mode.random() * (pending + 1));
}

function crashedContent(file: FakeFile, mode: CrashMode): Uint8Array {
  const copy = new FakeFile();
  copy.current = file.durable.slice();
  const keep = keptCount(file.pending.length, mode);
  file.pending.slice(0, keep).forEach((op, i) => {
    if (i === keep - 1 && op.kind === "write" && typeof mode === "object") {
      // The last surviving write may be torn anywhere.
      const torn = Math.floor(mode.random() * (op.data.length + 1));
      applyOp(copy, { kind: "write", position: op.position, data: op.data.subarray(0, torn) });
    } else {
      applyOp(copy, op);
    }
  });
  return copy.current;
}

function applyOp(file: FakeFile, op: FileOp): void {
  file.pending.push(op);
  switch (op.kind) {
    case "write": {
      const end = op.position + op.data.length;
      if (end > file.current.length) {
        const grown = new Uint8Array(end);
        grown.set(file.current);
        file.current = grown;
      }
      file.current.set(op.data, op.position);
      return;
    }
    case "truncate": {
      const cut = new Uint8Array(op.size);
      cut.set(file.current.subarray(0, Math.min(op.size, file.current.length)));
      file.current = cut;
      return;
    }
    default: {
      const never: never = op;
      throw new Error(`unknown op ${String(never)}`);
    }
  }
}

function applyDirOp(entries: Map<string, FakeFile>, op: DirOp): void {
  switch (op.kind) {
    case "link":
      entries.set(op.name, op.file);
      return;
    case "unlink":
      entries.delete(op.name);
      return;
    case "rename":
      entries.delete(op.from);
      entries.set(op.to, op.file);
      return;
    default: {
      const never: never = op;
      throw new Error(`unknown op ${String(never)}`);
    }
  }
}
