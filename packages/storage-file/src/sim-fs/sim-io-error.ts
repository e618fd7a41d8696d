// Errors shaped like the ones Node's fs raises, so that code written against node:fs (which
// tests `code`) meets the same errors on the simulated disk.

const errnos = {
  ENOENT: [-2, "no such file or directory"],
  EIO: [-5, "i/o error"],
  ENOSPC: [-28, "no space left on device"],
} as const;

/** An error shaped like Node's fs errors: `code`, `errno`, `syscall`, `path`. */
export function ioError(code: keyof typeof errnos, syscall: string, path: string): Error {
  const [errno, text] = errnos[code];
  return Object.assign(new Error(`${code}: ${text}, ${syscall} '${path}'`), {
    code,
    errno,
    syscall,
    path,
  });
}
