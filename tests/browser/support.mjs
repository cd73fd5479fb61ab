// What the browser tests share: a free port, polling, a check that prints
// its line, Chromium launched headless with nothing phoning home, and the
// watch that fails a test when a page makes a request that leaves the
// server under test.

import { createServer } from "node:net";
import { chromium } from "playwright-core";

export const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export function freePort() {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.unref();
    server.on("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => ok(port));
    });
  });
}

/// Polls `probe` every 100 ms until it returns something truthy (an
/// exception counts as not yet), which it returns; throws after `deadlineMs`.
export async function waitFor(what, probe, deadlineMs) {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`${what} never happened`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function check(condition, message) {
  if (!condition) throw new Error(message);
  console.log(`ok - ${message}`);
}

export function launch() {
  return chromium.launch({
    executablePath: chromiumPath,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
}

/// Records every request of `page` that leaves `base` (a request the page's
/// Content-Security-Policy blocked never left): the list it returns must be
/// empty at the end.
export function watchExternal(page, base) {
  const external = [];
  const local = (url) => url.startsWith(base) || url.startsWith("data:") || url.startsWith(`blob:${base}/`);
  page.on("requestfinished", (request) => {
    if (!local(request.url())) external.push(request.url());
  });
  page.on("requestfailed", (request) => {
    if (!local(request.url()) && !["net::ERR_BLOCKED_BY_CSP", "csp"].includes(request.failure()?.errorText)) {
      external.push(`${request.url()} (${request.failure()?.errorText})`);
    }
  });
  return external;
}
