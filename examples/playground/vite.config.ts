import { fileURLToPath } from "node:url";
import { defaultClientConditions, defineConfig } from "vite";

const shim = (name: string) =>
  fileURLToPath(new URL(`./src/node-shims/${name}.ts`, import.meta.url));

// The workspace packages are bundled from their TypeScript sources (the "@flotilla/source" export
// condition, as the tests use), so the page runs exactly the code in packages/*/src. `base: "./"`
// makes the built site work from any directory of any static file server.
export default defineConfig({
  base: "./",
  resolve: {
    conditions: ["@flotilla/source", ...defaultClientConditions],
    // The simulator runs FileStorage on a simulated file system; what storage-file takes from
    // Node (paths, crc32, the real fs it never calls there) comes from small browser shims.
    alias: {
      "node:path": shim("path"),
      "node:zlib": shim("zlib"),
      "node:fs/promises": shim("fs"),
      "node:fs": shim("fs"),
    },
  },
  worker: { format: "es" },
  build: { target: "es2022", outDir: "dist", emptyOutDir: true },
  server: { host: "127.0.0.1" },
  preview: { host: "127.0.0.1" },
});
