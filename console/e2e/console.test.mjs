// End to end in headless Chromium (Debian's chromium driven by playwright-core) against the real
// imsdk-server binary: sign in, flip the user-status switch and see a client's call change, import
// an account, watch a client log in and appear online live.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, mkdirSync } from "node:fs";
import { createServer } from "node:http";
import { once } from "node:events";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium } from "playwright-core";
import { APP, client, startServer } from "./server.mjs";

const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const SHOTS = resolve(import.meta.dirname, "../../target/console-screens");
let server, browser, page;

before(async () => {
  server = await startServer();
  // A fresh profile (--user-data-dir) per run.
  browser = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), "imsdk-chromium-")), {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1200, height: 860 },
    args: [
      "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
  });
  page = browser.pages()[0] ?? (await browser.newPage());
  page.setDefaultTimeout(10000);
  mkdirSync(SHOTS, { recursive: true });
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test("the API refuses every call before sign-in", async () => {
  for (const path of ["settings", "accounts", "live"]) {
    const res = await fetch(`${server.url}/console/api/${path}`);
    assert.equal(res.status, 401, path);
  }
});

test("sign in: a wrong secret key is refused, the right one opens the console", async () => {
  await page.goto(`${server.url}/console/`);
  await page.fill("#sdk_app_id", String(APP.sdk_app_id));
  await page.fill("#admin", APP.admin);
  await page.fill("#secret", "not-the-key");
  await page.click("#signin-button");
  // One answer for every refusal (the server log says which part was wrong).
  await page.getByText("sign-in refused").waitFor();
  await page.fill("#secret", APP.secret);
  await page.click("#signin-button");
  await page.locator("#whoami").getByText(`app ${APP.sdk_app_id}`).waitFor();
  assert.equal(await page.content().then((html) => html.includes(APP.secret)), false, "secret never shown");
});

test("the user-status switch turns 72001 on and off at once", async () => {
  const alice = await client(server.url, "alice");
  assert.equal((await alice.call("get_user_status", { user_ids: ["bob"] })).code, 0);
  await page.click("#nav-settings");
  const toggle = page.locator("#user_status_enabled");
  await toggle.waitFor();
  assert.equal(await toggle.isChecked(), true);
  await toggle.uncheck();
  await page.getByText("User status off saved").waitFor();
  await page.screenshot({ path: join(SHOTS, "settings.png"), fullPage: true });
  assert.equal((await alice.call("get_user_status", { user_ids: ["bob"] })).code, 72001);
  await toggle.check();
  await page.getByText("User status on saved").waitFor();
  assert.equal((await alice.call("get_user_status", { user_ids: ["bob"] })).code, 0);
  alice.close();
});

test("import an account, find it by search", async () => {
  await page.click("#nav-accounts");
  await page.fill("#import-ids", "carol, dave");
  await page.click("#import-button");
  await page.getByText("Imported 2").waitFor();
  await page.fill("#account-search", "car");
  await page.locator("#account-total").getByText("1 account ·").waitFor();
  await page.locator("#account-list").getByText("carol").click();
  await page.locator("#detail-status").getByText("UNLOGINED").waitFor();
  await page.fill("#friend-id", "alice");
  await page.click("#friend-add");
  await page.locator("#detail-friends").getByText("alice").waitFor();
  await page.screenshot({ path: join(SHOTS, "accounts.png"), fullPage: true });
});

test("a client logging in appears online live", async () => {
  await page.click("#nav-live");
  await page.locator("#live-state").getByText("live").waitFor();
  const carol = await client(server.url, "carol");
  await page.locator('#online-list li[data-user="carol"]').waitFor();
  await page.locator("#change-log").getByText("carol → ONLINE").waitFor();
  await page.locator("#count-online").getByText("1").waitFor();
  await page.screenshot({ path: join(SHOTS, "live.png"), fullPage: true });
  carol.close();
  await page.locator('#online-list li[data-user="carol"]').waitFor({ state: "detached" });
});

test("status query from the page", async () => {
  const bob = await client(server.url, "bob");
  await page.click("#nav-query");
  await page.fill("#query-ids", "bob, alice, nobody");
  await page.click("#query-button");
  const rows = page.locator("#query-result tr");
  await rows.filter({ hasText: "bob" }).getByText("Online").waitFor();
  await rows.filter({ hasText: "alice" }).getByText("Offline").waitFor();
  await rows.filter({ hasText: "nobody" }).getByText("error 70107").waitFor();
  await page.screenshot({ path: join(SHOTS, "query.png"), fullPage: true });
  bob.close();
});

test("the callback URL is saved and a test event reaches it", async () => {
  const received = [];
  let heard;
  const got = new Promise((ok) => (heard = ok));
  const receiver = createServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      received.push({ url: req.url, body: JSON.parse(body) });
      res.end('{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":""}');
      heard();
    });
  });
  receiver.listen(0, "127.0.0.1");
  await once(receiver, "listening");
  try {
    await page.click("#nav-settings");
    await page.fill("#callback_url", `http://127.0.0.1:${receiver.address().port}/cb`);
    await page.click("#save-callback");
    await page.getByText("Callback URL saved").waitFor();
    await page.click("#test-callback");
    // Only the status, the time and whether the answer was Tencent's OK form, never its body.
    await page.getByText(/Test event sent: HTTP 200 in \d+ ms, Tencent's OK answer/).waitFor();
    await got;
    assert.equal(received[0].body.CallbackCommand, "State.StateChange");
    assert.match(received[0].url, /CallbackCommand=State.StateChange/);
    await page.screenshot({ path: join(SHOTS, "callback.png"), fullPage: true });
  } finally {
    receiver.close();
  }
});
