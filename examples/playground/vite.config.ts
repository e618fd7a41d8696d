import { defaultClientConditions, defineConfig } from "vite";

// The workspace packages are bundled from their TypeScript sources (the "@flotilla/source" export
// condition, as the tests use), so the page runs exactly the code in packages/*/src. `base: "./"`
// makes the built site work from any directory of any static file server.
export default defineConfig({
  base: "./",
  resolve: { conditions: ["@flotilla/source", ...defaultClientConditions] },
  worker: { format: "es" },
  build: { target: "es2022", outDir: "dist", emptyOutDir: true },
  server: { host: "127.0.0.1" },
  preview: { host: "127.0.0.1" },
});
