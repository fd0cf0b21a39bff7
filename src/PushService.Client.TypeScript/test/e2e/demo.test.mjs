// The demo app (src/PushService/wwwroot, on the committed SDK copy) in headless Chromium against a
// 2-node cluster sharing a redis-server, behind nginx with the operator's config: sign in, receive
// what is published, survive the page's node being killed, and work over long polling.
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { chromium } from "playwright-core";
import { REPO, publish, startNginx, startNode, startRedis, stopAll, uniqueName } from "../support/service.mjs";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const WAIT = { timeout: 30_000 };
const ARTIFACTS = path.join(REPO, "tests/artifacts");

describe("demo app in Chromium against two nodes behind nginx", () => {
  let redis;
  let nodes = [];
  let nginx;
  let browser;

  before(async () => {
    redis = await startRedis();
    // Development: the demo's files are served from the project's wwwroot (static web assets), as
    // with `dotnet run`; a published node carries them in its own wwwroot.
    const settings = { "Push:RedisPrefix": uniqueName("e2e") };
    nodes = await Promise.all(["a", "b"].map((id) => startNode({ nodeId: uniqueName(`demo-${id}`), redis, settings, environment: "Development" })));
    nginx = await startNginx(nodes);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-dev-shm-usage"] });
  });

  after(async () => {
    await browser?.close();
    await stopAll(redis, ...nodes, nginx);
  });

  /** Opens the demo in a fresh browser context (its own affinity cookie) and signs in. */
  async function signIn(user, query = "") {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const errors = [];
    page.on("pageerror", (error) => errors.push(error.message));
    await page.goto(`${nginx.url}/?user=${encodeURIComponent(user)}${query}`);
    await page.waitForSelector("body[data-ready=true]", { ...WAIT, state: "attached" });
    await page.click("[data-testid=signin]");
    await page.waitForSelector("[data-testid=status][data-state=connected]", WAIT);
    assert.deepEqual(errors, []);
    return { context, page, errors };
  }

  const item = (page, id) => page.locator(`[data-testid=notification-item][data-id="${id}"]`);

  /** The node nginx sends this browser's requests to (its affinity cookie), by the test-only upstream header. */
  async function nodeOf(context) {
    const cookie = (await context.cookies(nginx.url)).find((c) => c.name === "push_affinity");
    assert.ok(cookie, "the demo sets a push_affinity cookie");
    const response = await fetch(`${nginx.url}/healthz/live`, { headers: { Cookie: `push_affinity=${cookie.value}` } });
    const upstream = response.headers.get("x-push-upstream").split(",").at(-1).trim();
    return nodes.find((node) => upstream === `127.0.0.1:${node.port}`);
  }

  test("over long polling: signs in, shows what is published over REST and from its own form", async () => {
    const user = uniqueName("lp");
    const { context, page } = await signIn(user, "&transport=longpolling");
    try {
      assert.equal(await page.getAttribute("[data-testid=transport]", "data-transport"), "LongPolling");
      const id = await publish(nginx.url, { type: "email.new", users: [user], data: { subject: "over long polling" } });
      await item(page, id).waitFor(WAIT);
      assert.match(await item(page, id).textContent(), /over long polling/);

      await page.click("[data-testid=publish]");
      await page.waitForSelector("[data-testid=publish-result]:not([hidden])", WAIT);
      const formId = await page.getAttribute("[data-testid=publish-result]", "data-id");
      await item(page, formId).waitFor(WAIT);
      assert.equal(await page.textContent("[data-testid=unread-count]"), "2");
    } finally {
      await context.close();
    }
  });

  test("when the page's node is killed it reconnects to the other and shows what was published meanwhile, once each", async () => {
    const user = uniqueName("kill");
    const { context, page, errors } = await signIn(user);
    try {
      const first = await publish(nginx.url, { type: "before", users: [user], data: { n: 0 } });
      await item(page, first).waitFor(WAIT);
      const victim = await nodeOf(context);
      const survivor = nodes.find((node) => node !== victim);
      assert.ok(victim && survivor, "the page is connected through one of the two nodes");

      await victim.kill("SIGKILL");
      const meanwhile = [];
      for (let i = 1; i <= 3; i++) meanwhile.push(await publish(survivor.url, { type: "meanwhile", users: [user], data: { n: i } }));

      await page.waitForSelector("[data-testid=status][data-state=connected][data-connections='2']", WAIT);
      assert.equal(await nodeOf(context), survivor);
      for (const id of meanwhile) await item(page, id).waitFor(WAIT);
      const after = await publish(nginx.url, { type: "after", users: [user] });
      await item(page, after).waitFor(WAIT);
      for (const id of [first, ...meanwhile, after]) assert.equal(await item(page, id).count(), 1, `${id} shown once`);
      assert.equal(await page.locator("[data-testid=notification-item]").count(), 5);
      assert.match(await page.textContent("[data-testid=event-list]"), /reconnecting/);
      assert.deepEqual(errors, []);

      mkdirSync(ARTIFACTS, { recursive: true });
      const screenshot = path.join(ARTIFACTS, "demo-e2e.png");
      await page.screenshot({ path: screenshot, fullPage: true });
      console.log(`screenshot: ${screenshot}`);
    } finally {
      await context.close();
    }
  });
});
