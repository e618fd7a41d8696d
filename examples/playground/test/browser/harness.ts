import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { extname, join, normalize, resolve } from "node:path";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { build } from "vite";
import { afterAll, beforeAll } from "vitest";

// Browser tests run in Debian's Chromium (.ci/run installs it), driven by playwright-core, against
// the production build served from 127.0.0.1 by a few lines of node:http: what a person gets from
// any static file server. Locally, without Chromium, the tests skip and say why; in CI (CI=true)
// a missing Chromium is a failure, never a skip.

export const chromiumPath = "/usr/bin/chromium";
export const chromiumPresent = existsSync(chromiumPath);

if (!chromiumPresent && process.env.CI === "true") {
  throw new Error(`${chromiumPath} is missing: CI must install Debian's chromium (see .ci/run)`);
}
if (!chromiumPresent) {
  console.warn(`browser tests skipped: no ${chromiumPath} (apt-get install chromium to run them)`);
}

const playgroundRoot = resolve(import.meta.dirname, "../..");

/** Builds the playground once into a fresh directory and returns it. */
export async function buildSite(): Promise<string> {
  const outDir = mkdtempSync(join(tmpdir(), "flotilla-playground-"));
  await build({
    root: playgroundRoot,
    configFile: join(playgroundRoot, "vite.config.ts"),
    logLevel: "warn",
    build: { outDir, emptyOutDir: true },
  });
  return outDir;
}

const contentTypes: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript",
  ".css": "text/css",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".json": "application/json",
};

export type Site = { readonly url: string; readonly close: () => Promise<void> };

/** Serves a directory on 127.0.0.1 at a free port: a plain static file server, nothing more. */
export async function serve(dir: string): Promise<Site> {
  const server: Server = createServer((request, response) => {
    const path = normalize(decodeURIComponent(new URL(request.url ?? "/", "http://x").pathname));
    let file = join(dir, path);
    if (!file.startsWith(dir)) file = dir;
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, "index.html");
    if (!existsSync(file)) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, {
      "content-type": contentTypes[extname(file)] ?? "application/octet-stream",
    });
    response.end(readFileSync(file));
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}

/**
 * Chromium's flags here: no sandbox (root), no GPU, and no network of its own (no QUIC, no
 * background requests, no component or sync updates). The tests and the scripts/ tools use them.
 */
export const chromiumArgs: readonly string[] = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export type BrowserSession = {
  readonly context: BrowserContext;
  readonly close: () => Promise<void>;
};

/**
 * Chromium with the flags this machine needs: no sandbox (root), no network of its own, a fresh
 * profile (playwright passes it as --user-data-dir). Pages of one session share a profile, so
 * they reach each other over BroadcastChannel, like tabs of one browser.
 */
export async function launch(): Promise<BrowserSession> {
  const profile = mkdtempSync(join(tmpdir(), "flotilla-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    timeout: 30_000,
    viewport: { width: 1280, height: 720 },
    args: ["--headless", ...chromiumArgs],
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Opens a page and collects every console error and uncaught exception it reports. */
export async function openPage(context: BrowserContext, url: string) {
  const page: Page = await context.newPage();
  const errors: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });
  page.on("pageerror", (error) => errors.push(String(error)));
  await page.goto(url);
  return { page, errors };
}

/**
 * For a describe block: builds and serves the site and starts Chromium before its tests, closes
 * both after them.
 */
export function usePlayground(): {
  readonly url: () => string;
  readonly context: () => BrowserContext;
} {
  let site: Site | undefined;
  let session: BrowserSession | undefined;
  beforeAll(async () => {
    site = await serve(await buildSite());
    session = await launch();
  }, 120_000);
  afterAll(async () => {
    await session?.close();
    await site?.close();
  });
  return { url: () => site!.url, context: () => session!.context };
}

/** Moves a range input (a scrubber) the way dragging it does: set the value, fire `input`. */
export async function setRange(page: Page, selector: string, value: "min" | "max"): Promise<void> {
  await page.$eval(
    selector,
    (input: HTMLInputElement, to) => {
      input.value = to === "max" ? input.max : input.min;
      input.dispatchEvent(new Event("input"));
    },
    value,
  );
}
