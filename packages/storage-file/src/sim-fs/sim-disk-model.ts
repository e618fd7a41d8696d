// The data model behind SimFileSystem: files and directories that know which of their changes
// are durable. Each keeps its durable state and the list of changes made since the last
// successful fsync; a crash keeps the durable state plus a random prefix of those changes (the
// last kept write torn at a random byte). A change that a FAILED fsync covered is dropped from
// that list without reaching the durable state: the kernel marks such pages clean although they
// never reached the disk ("fsyncgate"), so a later fsync does not write them either, and a crash
// loses them. (A directory's changes are journaled metadata: a failed directory fsync leaves
// them unsynced, for a later one to commit.) No Node APIs here: the simulator runs in any JS runtime.

import { allocateBytes } from "./byte-slab.js";

export type FileChange =
  | { readonly kind: "write"; readonly position: number; readonly data: Uint8Array }
  | { readonly kind: "truncate"; readonly size: number };

/** The buffer of every empty file until its first write (most temp files get one write). */
const noBytes = new Uint8Array(0);

/** Bytes with room to grow: appends cost amortised O(their size), not O(file size). */
export class Bytes {
  /** Zeros past `length`, always (a truncation clears what it cuts off). */
  #buffer: Uint8Array = noBytes;
  length = 0;

  constructor(initial?: Uint8Array) {
    if (initial !== undefined && initial.length > 0) {
      this.#buffer = allocateBytes(Math.max(64, initial.length));
      this.#buffer.set(initial);
      this.length = initial.length;
    }
  }

  apply(change: FileChange): void {
    switch (change.kind) {
      case "write": {
        const end = change.position + change.data.length;
        this.#reserve(end);
        this.#buffer.set(change.data, change.position);
        this.length = Math.max(this.length, end);
        return;
      }
      case "truncate": {
        this.#reserve(change.size);
        // Bytes cut off read back as zeros if the file grows again.
        if (change.size < this.length) this.#buffer.fill(0, change.size, this.length);
        this.length = change.size;
        return;
      }
      default: {
        const never: never = change;
        throw new Error(`unknown file change ${JSON.stringify(never)}`);
      }
    }
  }

  view(): Uint8Array {
    return this.#buffer.subarray(0, this.length);
  }

  copy(): Bytes {
    return new Bytes(this.view());
  }

  #reserve(size: number): void {
    if (size <= this.#buffer.length) return;
    const grown = allocateBytes(Math.max(size, this.#buffer.length * 2, 64));
    // The whole buffer: past `length` it holds zeros, and a view of the used part would cost an
    // object (dear in Chromium, where the playground runs the simulator).
    grown.set(this.#buffer);
    this.#buffer = grown;
  }
}

export class SimFile {
  /** What a read sees now (the page cache). */
  current = new Bytes();
  /** What the disk holds for sure. */
  durable = new Bytes();
  /** Changes since the last fsync, oldest first; a crash keeps a prefix of them. */
  unsynced: FileChange[] = [];

  change(change: FileChange): void {
    this.current.apply(change);
    this.unsynced.push(change);
  }

  /** A successful fsync: every unsynced change reaches the disk. */
  sync(): void {
    for (const change of this.unsynced) this.durable.apply(change);
    this.unsynced = [];
  }

  /** A failed fsync: the unsynced changes stay visible but will never reach the disk. */
  failSync(): void {
    this.unsynced = [];
  }

  /**
   * The content found after a crash that kept `kept` unsynced changes, the last torn at `tear`;
   * `garbage(n)`, when it gives bytes, is what lies after the tear (at most the n bytes the torn
   * write did not reach; past the garbage they keep their old content).
   */
  afterCrash(kept: number, tear: (length: number) => number, garbage: Garbage): Uint8Array {
    const bytes = this.durable.copy();
    this.unsynced.slice(0, kept).forEach((change, i) => {
      if (i === kept - 1 && change.kind === "write") {
        const torn = tear(change.data.length);
        const rest = torn < change.data.length ? garbage?.(change.data.length - torn) : null;
        if (rest == null) {
          bytes.apply({ ...change, data: change.data.subarray(0, torn) });
        } else {
          const data = new Uint8Array(torn + rest.length);
          data.set(change.data.subarray(0, torn));
          data.set(rest, torn);
          bytes.apply({ ...change, data });
        }
      } else {
        bytes.apply(change);
      }
    });
    return bytes.view().slice();
  }
}

/**
 * Garbage for (a prefix of) the `length` bytes a torn write did not reach, or null: they keep
 * their old content.
 */
export type Garbage = ((length: number) => Uint8Array | null) | null;

export type DirChange =
  | { readonly kind: "link"; readonly name: string; readonly file: SimFile }
  | { readonly kind: "unlink"; readonly name: string }
  /** Atomic: a crash keeps it whole or loses it whole. */
  | { readonly kind: "rename"; readonly from: string; readonly to: string; readonly file: SimFile };

export class SimDir {
  readonly current = new Map<string, SimFile>();
  readonly durable = new Map<string, SimFile>();
  unsynced: DirChange[] = [];

  change(change: DirChange): void {
    applyDirChange(this.current, change);
    this.unsynced.push(change);
  }

  sync(): void {
    for (const change of this.unsynced) applyDirChange(this.durable, change);
    this.unsynced = [];
  }

  /**
   * A failed directory fsync: directory changes are journaled metadata, not cached pages, so
   * they stay where they were: lost or kept by a crash, made durable by a later fsync.
   */
  failSync(): void {}

  /** The entries found after a crash that kept `kept` unsynced changes. */
  afterCrash(kept: number): Map<string, SimFile> {
    const entries = new Map(this.durable);
    for (const change of this.unsynced.slice(0, kept)) applyDirChange(entries, change);
    return entries;
  }
}

/**
 * Every directory as a crash leaves it: `kept(n)` says how many of n unsynced changes of one file
 * or directory survive, `tear(n)` how many bytes of the last surviving write of n bytes.
 */
export function dirsAfterCrash(
  dirs: ReadonlyMap<string, SimDir>,
  kept: (unsynced: number) => number,
  tear: (length: number) => number,
  garbage: Garbage = null,
): Map<string, SimDir> {
  // A file keeps one content however many names it is found under.
  const contents = new Map<SimFile, Uint8Array>();
  const out = new Map<string, SimDir>();
  for (const [path, dir] of dirs) {
    const fresh = new SimDir();
    for (const [name, file] of dir.afterCrash(kept(dir.unsynced.length))) {
      let content = contents.get(file);
      if (content === undefined) {
        content = file.afterCrash(kept(file.unsynced.length), tear, garbage);
        contents.set(file, content);
      }
      const copy = new SimFile();
      copy.change({ kind: "write", position: 0, data: content });
      copy.sync();
      fresh.change({ kind: "link", name, file: copy });
    }
    fresh.sync();
    out.set(path, fresh);
  }
  return out;
}

function applyDirChange(entries: Map<string, SimFile>, change: DirChange): void {
  switch (change.kind) {
    case "link":
      entries.set(change.name, change.file);
      return;
    case "unlink":
      entries.delete(change.name);
      return;
    case "rename":
      entries.delete(change.from);
      entries.set(change.to, change.file);
      return;
    default: {
      const never: never = change;
      throw new Error(`unknown directory change ${JSON.stringify(never)}`);
    }
  }
}

/** `path` split into its directory and its name, with `.`, empty segments and `..` resolved. */
export function splitPath(path: string): { readonly dir: string; readonly name: string } {
  const normal = normalizePath(path);
  const slash = normal.lastIndexOf("/");
  if (slash < 0) return { dir: ".", name: normal };
  return { dir: slash === 0 ? "/" : normal.slice(0, slash), name: normal.slice(slash + 1) };
}

export function normalizePath(path: string): string {
  // Every path FileStorage passes is already normal: no splitting and joining for those.
  if (isNormalAbsolute(path)) return path;
  const absolute = path.startsWith("/");
  const parts: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === ".." && parts.length > 0 && parts.at(-1) !== "..") parts.pop();
    else if (part !== ".." || !absolute) parts.push(part);
  }
  const joined = parts.join("/");
  return absolute ? `/${joined}` : joined === "" ? "." : joined;
}

/** Whether `path` is "/" or "/a/b" with no empty, "." or ".." segment (normalizePath's output). */
function isNormalAbsolute(path: string): boolean {
  const slash = 47;
  const dot = 46;
  if (path.charCodeAt(0) !== slash) return false;
  let segmentStart = 1;
  for (let i = 1; i <= path.length; i++) {
    if (i < path.length && path.charCodeAt(i) !== slash) continue;
    const length = i - segmentStart;
    if (length === 0) return path.length === 1;
    if (path.charCodeAt(segmentStart) === dot && length <= 2) {
      if (length === 1 || path.charCodeAt(segmentStart + 1) === dot) return false;
    }
    segmentStart = i + 1;
  }
  return true;
}
