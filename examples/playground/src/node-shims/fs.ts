// node:fs and node:fs/promises for the replay worker. The simulator's FileStorage runs on a
// simulated file system; the real one is imported by storage-file but never called in a page.

function absent(name: string): () => never {
  return () => {
    throw new Error(`node:fs ${name} is not available in a browser`);
  };
}

export const constants = {};
export const mkdir = absent("mkdir");
export const open = absent("open");
export const readdir = absent("readdir");
export const readFile = absent("readFile");
export const rename = absent("rename");
export const unlink = absent("unlink");

export default { constants, mkdir, open, readdir, readFile, rename, unlink };
