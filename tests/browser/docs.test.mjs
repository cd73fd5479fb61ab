// Browser test of the API documentation: starts the real `api` binary with
// DEBUG=true on a throw-away SQLite database, opens Swagger UI at /docs in
// headless Chromium, authorizes with a real user's access token, runs
// "Try it out" on GET /v1/todos and expects a 200 listing that user's todos;
// does the same with a personal access token (pat_…) pasted into Authorize;
// then opens ReDoc at /redoc and expects it to render the operations. No
// request may leave the server (both viewers work offline). Writes
// screenshots to target/browser/ (the whole page, the operation with its live
// response, and ReDoc).
//
//   node tests/browser/docs.test.mjs [path/to/api]     (default target/debug/api)

import { spawn } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { check, freePort, launch, waitFor, watchExternal } from "./support.mjs";

const root = resolve(import.meta.dirname, "..", "..");
const apiBin = resolve(process.argv[2] ?? join(root, "target", "debug", "api"));
const outDir = join(root, "target", "browser");
const username = "browser_user";
const password = "browser-password-1";
const titles = ["Buy oat milk", "Write the browser test ✅"];

async function api(base, method, path, body, token) {
  const headers = { "content-type": "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(base + path, { method, headers, body: JSON.stringify(body) });
  const json = await response.json();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
  return json;
}

const workDir = mkdtempSync(join(tmpdir(), "api-browser-"));
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const server = spawn(apiBin, [], {
  cwd: workDir,
  env: {
    PATH: process.env.PATH,
    HOST: "127.0.0.1",
    PORT: String(port),
    DEBUG: "true",
    BCRYPT_COST: "4",
    LOG_LEVEL: "warn",
  },
  stdio: ["ignore", "inherit", "inherit"],
});
let browser;
let failed = false;
try {
  await waitFor("the server answering", async () => (await fetch(`${base}/v1/health`)).ok, 60_000);
  await api(base, "POST", "/v1/auth/register", {
    email: "browser@example.com",
    username,
    full_name: "Browser User",
    password,
  });
  const { access_token: token } = await api(base, "POST", "/v1/auth/login", { username, password });
  for (const title of titles) await api(base, "POST", "/v1/todos", { title }, token);

  browser = await launch();
  const page = await browser.newPage({ viewport: { width: 1280, height: 1600 } });
  // Swagger UI must work offline: any request that leaves this server fails the test.
  const external = watchExternal(page, base);

  // Opens /docs afresh (no authorization kept), authorizes with `bearerToken`
  // and runs "Try it out" on GET /v1/todos: the operation's locator, and the
  // Authorization header the request carried.
  async function tryListingTodos(bearerToken) {
    await page.goto(`${base}/docs`);
    const todos = page.locator(".opblock-get", {
      has: page.locator('.opblock-summary-path[data-path="/v1/todos"]'),
    });
    await todos.first().waitFor({ timeout: 30_000 });
    const paths = await page.locator(".opblock-summary-path").evaluateAll((els) => els.map((e) => e.dataset.path));
    for (const path of ["/v1/todos", "/v1/todos/{id}", "/v1/auth/tokens"]) {
      check(paths.includes(path), `Swagger UI lists ${path}`);
    }

    await page.locator("button.authorize").first().click();
    const dialog = page.locator(".dialog-ux .modal-ux");
    await dialog.waitFor();
    const bearer = dialog.locator(".auth-container", { hasText: /bearer/i }).first();
    await bearer.locator("input").first().fill(bearerToken);
    await bearer.locator("button.authorize").click();
    await dialog.locator("button.close-modal").click();

    const operation = todos.first();
    await operation.locator(".opblock-summary").click();
    // Swagger UI re-renders while the operation expands; click until the
    // Execute button shows that "Try it out" took.
    const execute = operation.locator("button.execute");
    for (let attempt = 0; !(await execute.isVisible()); attempt++) {
      if (attempt === 20) throw new Error('"Try it out" never showed the Execute button');
      const tryOut = operation.locator("button.try-out__btn");
      if ((await tryOut.innerText()).trim() === "Try it out") await tryOut.click();
      await page.waitForTimeout(250);
    }
    const sent = page.waitForRequest((request) => new URL(request.url()).pathname === "/v1/todos");
    await execute.click();
    const authorization = (await sent).headers().authorization ?? "";
    const status = operation.locator(".live-responses-table tbody .response-col_status").first();
    await status.waitFor({ timeout: 30_000 });
    const code = (await status.innerText()).trim();
    check(code === "200", `GET /v1/todos via "Try it out" answered ${code}`);
    const body = await operation.locator(".live-responses-table tbody .response-col_description pre").first().innerText();
    for (const title of titles) check(body.includes(title), `the response lists "${title}"`);
    return { operation, authorization };
  }

  // With the access token from /v1/auth/login.
  const { operation, authorization } = await tryListingTodos(token);
  check(authorization === `Bearer ${token}`, "Swagger UI sent the access token");

  mkdirSync(outDir, { recursive: true });
  await operation.scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(outDir, "docs.png"), fullPage: true });
  await operation.screenshot({ path: join(outDir, "docs-try-it-out.png") });
  console.log(`screenshots: ${join(outDir, "docs.png")}, ${join(outDir, "docs-try-it-out.png")}`);

  // With a personal access token pasted into Authorize (issue 18): it
  // reaches the todos, as scripts use it.
  const { token: pat } = await api(base, "POST", "/v1/auth/tokens", { name: "swagger" }, token);
  check(pat.startsWith("pat_"), "a personal access token was made");
  // Swagger UI keeps an authorization (persistAuthorization): forget it.
  await page.evaluate(() => window.localStorage.clear());
  const viaPat = await tryListingTodos(pat);
  check(viaPat.authorization === `Bearer ${pat}`, "Swagger UI sent the personal access token");
  await viaPat.operation.screenshot({ path: join(outDir, "docs-personal-token.png") });
  console.log(`screenshot: ${join(outDir, "docs-personal-token.png")}`);

  // ReDoc at /redoc renders the same document from the binary's own assets,
  // within its Content-Security-Policy.
  // The one thing the bundle would fetch from elsewhere is the "API docs by
  // Redocly" footer's logo; the policy blocks it (the footer's text stays).
  const blockedLogo = "https://cdn.redoc.ly/redoc/logo-mini.svg";
  const violations = [];
  page.on("console", (message) => {
    const text = message.text();
    if (/Content Security Policy/i.test(text) && !text.includes(`'${blockedLogo}'`)) violations.push(text);
  });
  await page.goto(`${base}/redoc`);
  const sections = page.locator('[data-section-id^="operation/"]');
  await sections.first().waitFor({ timeout: 30_000 });
  const operations = await sections.evaluateAll((els) => els.map((e) => e.dataset.sectionId));
  check(operations.length >= 20, `ReDoc renders ${operations.length} operations`);
  check(
    (await page.locator("body").innerText()).includes("/v1/todos/{id}"),
    "ReDoc shows the path /v1/todos/{id}",
  );
  await page.screenshot({ path: join(outDir, "redoc.png") });
  console.log(`screenshot: ${join(outDir, "redoc.png")}`);
  check(violations.length === 0, `no Content-Security-Policy violation (${violations.join("; ") || "none"})`);
  check(external.length === 0, `no request left the server (${external.join(", ") || "none"})`);
} catch (error) {
  failed = true;
  console.error(`not ok - ${error.message}`);
} finally {
  await browser?.close();
  server.kill("SIGTERM");
  rmSync(workDir, { recursive: true, force: true });
}
console.log(failed ? "browser: 0 passed, 1 failed" : "browser: 1 passed, 0 failed");
process.exit(failed ? 1 : 0);
