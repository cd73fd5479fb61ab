// Browser test of account recovery and verification: starts the real `api` binary with
// DEBUG=true on a throw-away SQLite database and MAIL_DIR in a temporary
// directory (mail to .eml files, the default outside production). In
// headless Chromium it asks for a reset link from Swagger UI ("Try it out"
// on POST /v1/auth/password/forgot), reads the link from the .eml the
// outbox worker wrote, opens it, chooses a new password on the reset page,
// and expects the page to say it worked; opens the verification link that
// registration mailed and confirms it; then logs in with the new password.
// No request may leave the server, the page must raise no
// Content-Security-Policy violation, and the token must leave the address
// bar. Writes screenshots to target/browser/.
//
//   node tests/browser/reset.test.mjs [path/to/api]     (default target/debug/api)

import { spawn } from "node:child_process";
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { check, freePort, launch, waitFor, watchExternal } from "./support.mjs";

const root = resolve(import.meta.dirname, "..", "..");
const apiBin = resolve(process.argv[2] ?? join(root, "target", "debug", "api"));
const outDir = join(root, "target", "browser");
const username = "reset_user";
const email = "reset_user@example.com";
const oldPassword = "the-old-password-1";
const newPassword = "the-new-password-2";

/// The link to the account page `page` (`reset`, `verify`) in the .eml
/// files under `dir`, if one holds it.
function accountLink(dir, page) {
  const pattern = new RegExp(`https?://[^\\s"<>]*/account/${page}\\?token=[A-Za-z0-9_-]+`);
  for (const name of readdirSync(dir).filter((n) => n.endsWith(".eml"))) {
    // Undo quoted-printable soft line breaks and the encoded "=", should a part be encoded.
    const text = readFileSync(join(dir, name), "utf8").replace(/=\r?\n/g, "").replace(/=3D/g, "=");
    const match = text.match(pattern);
    if (match) return match[0];
  }
  return null;
}

const workDir = mkdtempSync(join(tmpdir(), "api-browser-reset-"));
const mailDir = join(workDir, "mail");
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
    MAIL_DIR: mailDir,
    PASSWORD_RESET_URL: `${base}/account/reset?token={token}`,
    EMAIL_VERIFY_URL: `${base}/account/verify?token={token}`,
  },
  stdio: ["ignore", "inherit", "inherit"],
});
let browser;
let failed = false;
try {
  await waitFor("the server answering", async () => (await fetch(`${base}/v1/health`)).ok, 60_000);
  const registered = await fetch(`${base}/v1/auth/register`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email, username, full_name: "Reset User", password: oldPassword }),
  });
  check(registered.status === 201, `registered ${username}`);

  browser = await launch();
  const page = await browser.newPage({ viewport: { width: 1280, height: 1400 } });
  const external = watchExternal(page, base);
  const violations = [];
  page.on("console", (message) => {
    if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
  });

  // Swagger UI: "Try it out" on POST /v1/auth/password/forgot.
  await page.goto(`${base}/docs`);
  const forgot = page
    .locator(".opblock-post", { has: page.locator('.opblock-summary-path[data-path="/v1/auth/password/forgot"]') })
    .first();
  await forgot.waitFor({ timeout: 30_000 });
  await forgot.locator(".opblock-summary").click();
  const execute = forgot.locator("button.execute");
  for (let attempt = 0; !(await execute.isVisible()); attempt++) {
    if (attempt === 20) throw new Error('"Try it out" never showed the Execute button');
    const tryOut = forgot.locator("button.try-out__btn");
    if ((await tryOut.innerText()).trim() === "Try it out") await tryOut.click();
    await page.waitForTimeout(250);
  }
  await forgot.locator("textarea.body-param__text").fill(JSON.stringify({ email }));
  await execute.click();
  const status = forgot.locator(".live-responses-table tbody .response-col_status").first();
  await status.waitFor({ timeout: 30_000 });
  const code = (await status.innerText()).trim();
  check(code === "202", `POST /v1/auth/password/forgot via "Try it out" answered ${code}`);

  // The outbox worker writes the mail as an .eml file.
  const link = await waitFor("the reset mail in MAIL_DIR", () => accountLink(mailDir, "reset"), 20_000);
  check(link.startsWith(`${base}/account/reset?token=`), "the mail holds a link to the reset page");

  // The reset page: choose the new password.
  await page.goto(link);
  await page.locator("#new-password").fill(newPassword);
  await page.locator("#confirm-password").fill(newPassword);
  check(!page.url().includes("token="), "the token left the address bar");
  await page.locator("#submit").click();
  const outcome = page.locator("#outcome.success");
  await outcome.waitFor({ timeout: 20_000 });
  check((await outcome.innerText()).includes("password is changed"), "the page says the password is changed");
  mkdirSync(outDir, { recursive: true });
  await page.screenshot({ path: join(outDir, "reset.png") });
  console.log(`screenshot: ${join(outDir, "reset.png")}`);

  // The same link again: used up.
  await page.goto(link);
  await page.locator("#new-password").fill("a-third-password-3");
  await page.locator("#confirm-password").fill("a-third-password-3");
  await page.locator("#submit").click();
  const refused = page.locator("#outcome.error");
  await refused.waitFor({ timeout: 20_000 });
  check((await refused.innerText()).includes("invalid, used or expired"), "a used link is refused on the page");

  // The verification link registration mailed: the page confirms on a click.
  const verifyLink = await waitFor("the verification mail", () => accountLink(mailDir, "verify"), 20_000);
  await page.goto(verifyLink);
  check(!page.url().includes("token="), "the verification token left the address bar");
  await page.locator("#submit").click();
  const confirmed = page.locator("#outcome.success");
  await confirmed.waitFor({ timeout: 20_000 });
  check((await confirmed.innerText()).includes(`${email} is confirmed`), "the verify page confirms the address");
  await page.screenshot({ path: join(outDir, "verify.png") });

  const login = async (password) =>
    (
      await fetch(`${base}/v1/auth/login`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ username, password }),
      })
    ).status;
  check((await login(newPassword)) === 200, "the new password logs in");
  const { access_token: token } = await (
    await fetch(`${base}/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username, password: newPassword }),
    })
  ).json();
  const me = await (await fetch(`${base}/v1/auth/me`, { headers: { authorization: `Bearer ${token}` } })).json();
  check(me.email_verified === true, "the user is verified");
  check((await login(oldPassword)) === 401, "the old password does not");
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
console.log(failed ? "browser (reset): 0 passed, 1 failed" : "browser (reset): 1 passed, 0 failed");
process.exit(failed ? 1 : 0);
