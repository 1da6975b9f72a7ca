// The console's headline scenario in a real browser (item 5 of issue 19).
// scripts/test-console.sh starts a real `extguard all` on its own database
// and Redis and runs this with BASE_URL, ADMIN_EMAIL and ADMIN_PASSWORD.
// Every step seeds or checks through the real API and the real pages; a
// screenshot of every page goes to screenshots/ (git-ignored).
import { chromium } from "playwright-core";
import AxeBuilder from "@axe-core/playwright";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import assert from "node:assert/strict";
import { createServer } from "node:http";

const BASE = process.env.BASE_URL;
const ADMIN = { email: process.env.ADMIN_EMAIL, password: process.env.ADMIN_PASSWORD };
const SHOTS = new URL("./screenshots/", import.meta.url).pathname;
mkdirSync(SHOTS, { recursive: true });

async function api(method, path, token, body, extra = {}) {
  const r = await fetch(BASE + path, {
    method,
    headers: { "content-type": "application/json", ...(token ? { authorization: "Bearer " + token } : {}), ...extra },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  if (r.status >= 400) throw new Error(`${method} ${path}: ${r.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

const hex = (n) => [...crypto.getRandomValues(new Uint8Array(n))].map((b) => b.toString(16).padStart(2, "0")).join("");

// --- seed through the API ------------------------------------------------
const admin = (await api("POST", "/api/v1/auth/login", null, ADMIN)).token;
const eng = await api("POST", "/api/v1/groups", admin, { name: "engineering", description: "developers", settings: { mode: "blocklist", enforcement: "enforce" } });
const ctr = await api("POST", "/api/v1/groups", admin, { name: "contractors", description: "audit only", settings: { mode: "blocklist", enforcement: "audit" } });
const viewer = { email: "viewer@example.com", password: "viewer passphrase 1234" };
await api("POST", "/api/v1/users", admin, { ...viewer, role: "viewer", display_name: "Viewer" });
const keyOf = async (g, name) => (await api("POST", `/api/v1/groups/${g.id}/api-keys`, admin, { name, scopes: ["agent"] })).key;
const engKey = await keyOf(eng, "eng-fleet");
const ctrKey = await keyOf(ctr, "ctr-fleet");

// A simulated agent: enrolls, reports its inventory as the agent does.
async function agent(key, name, extensions) {
  const en = await api("POST", "/api/v1/agent/enroll", key, { machine_id: "m-" + name, user_hash: hex(32), display_name: name, platform: "linux-x64", agent_version: "1.0.0" });
  const report = async (exts) => {
    const pol = await api("GET", "/api/v1/agent/policy", key, undefined, { "x-agent-id": en.agent_id });
    return api("POST", "/api/v1/agent/reports", key, { reported_at: new Date().toISOString(), policy_etag: pol.etag,
      extensions: exts.map((id) => ({ extension_id: id, installed: true, version: "1.0.0", editor: "vscode" })) }, { "x-agent-id": en.agent_id });
  };
  await report(extensions);
  return { id: en.agent_id, report };
}
const alice = await agent(engKey, "alice-laptop", ["evil.pack", "good.tool"]);
await agent(ctrKey, "bob-laptop", ["evil.pack"]);
await agent(engKey, "carol-laptop", ["good.tool"]);

// --- the browser ---------------------------------------------------------
const profile = mkdtempSync(join(tmpdir(), "extguard-chromium-"));
const browser = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run"],
  acceptDownloads: true,
  viewport: { width: 1280, height: 800 },
});
const violations = [];
const page = browser.pages()[0] ?? (await browser.newPage());
const foreign = [];
page.on("request", (r) => { if (!r.url().startsWith(BASE) && !r.url().startsWith("data:")) foreign.push(r.url()); });
const cspErrors = [];
page.on("console", (m) => { if (/Content Security Policy/i.test(m.text())) cspErrors.push(m.text()); });

async function visit(name, path) {
  if (path) await page.goto(BASE + path);
  await page.screenshot({ path: SHOTS + name + ".png", fullPage: true });
  const res = await new AxeBuilder({ page }).analyze();
  for (const v of res.violations) if (v.impact === "serious" || v.impact === "critical") violations.push(`${name}: ${v.id} (${v.impact}) ${v.help}`);
}
const step = (s) => console.log("ok -", s);

try {
  await page.goto(BASE + "/");
  assert.match(page.url(), /\/console\/login/);
  await visit("login");
  await page.fill('input[name="email"]', ADMIN.email);
  await page.fill('input[name="password"]', ADMIN.password);
  await page.click('button[type="submit"]');
  await page.waitForURL(BASE + "/console/");
  const overview = await page.locator("main").innerText();
  assert.match(overview, /engineering\s+2\s+2\s+100%/);
  assert.match(overview, /contractors\s+1\s+1\s+100%/);
  await visit("overview");
  step("signed in; the overview shows each group's compliant share");

  await visit("groups", "/console/groups");
  assert.ok(await page.getByRole("link", { name: "engineering" }).isVisible());
  assert.ok(await page.getByRole("link", { name: "contractors" }).isVisible());
  step("groups created through the API are listed");

  await page.goto(BASE + "/console/installations");
  await page.fill("#extension_id", "evil.pack");
  await page.click('button:has-text("Find")');
  await page.waitForURL(/extension_id=evil.pack/);
  assert.equal(await page.locator("tbody tr").count(), 2);
  await visit("installations");
  step("who has evil.pack: two agents");

  const [csv] = await Promise.all([page.waitForEvent("download"), page.click('a:has-text("Download CSV")')]);
  const csvText = await (await import("node:fs/promises")).readFile(await csv.path(), "utf8");
  assert.match(csvText, /alice-laptop/);
  step("CSV download");

  // Bad input in the preview (a reason over 1,000 characters): the API's
  // field error shows in place (htmx swaps a 400 only when told to).
  await page.fill("#reason", "x".repeat(1001));
  await page.click('button:has-text("Block evil.pack")');
  await page.waitForSelector("#impact .field-error", { timeout: 5000 });
  assert.match(await page.locator("#impact").innerText(), /reason/);
  step("the impact preview shows a bad field's error in place");

  await page.fill("#reason", "malware");
  await page.click('button:has-text("Block evil.pack")');
  await page.waitForSelector("#impact-h");
  const impact = await page.locator(".impact").innerText();
  assert.match(impact, /2 agents: 1 will uninstall it \(enforce\), 1 will report it \(audit\)/);
  await visit("impact");
  await page.click('button:has-text("Create the blocklist entry")');
  await page.waitForURL(BASE + "/console/blocklist");
  assert.ok(await page.getByRole("link", { name: "evil.pack" }).isVisible());
  await visit("blocklist");
  step("blocked after the impact preview");

  // Block is offered from a publisher search too: its preview counts the
  // publisher's agents (previewed only: nothing is created).
  await page.goto(BASE + "/console/installations?publisher=good");
  await page.fill("#reason", "whole publisher");
  await page.click('button:has-text("Block publisher good")');
  await page.waitForSelector("#impact-h");
  assert.match(await page.locator(".impact").innerText(), /2 agents: 2 will uninstall it \(enforce\), 0 will report it \(audit\)/);
  step("Block from a publisher search: its impact preview");

  // The agent list refreshes itself (htmx) as the simulated agent reports.
  await page.goto(BASE + `/console/agents/${alice.id}`);
  assert.match(await page.locator("main").innerText(), /evil\.pack/);
  await alice.report(["good.tool"]);
  await page.goto(BASE + "/console/installations?extension_id=evil.pack");
  assert.equal(await page.locator("tbody tr").count(), 1);
  await page.goto(BASE + "/console/agents");
  const before = await page.locator("#agent-list").innerText();
  await agent(engKey, "dave-laptop", ["good.tool"]);
  await page.waitForFunction(() => document.querySelector("#agent-list").innerText.includes("dave-laptop"), null, { timeout: 10000 });
  assert.ok(!before.includes("dave-laptop"));
  await visit("agents");
  await visit("agent", `/console/agents/${alice.id}`);
  step("the fleet changed as agents reported, without a reload");

  await page.goto(BASE + `/console/groups/${eng.id}`);
  const [pol] = await Promise.all([page.waitForEvent("download"), page.click('a:has-text("policy.json")')]);
  const polText = await (await import("node:fs/promises")).readFile(await pol.path(), "utf8");
  assert.match(polText, /AllowedExtensions/);
  assert.match(polText, /evil\.pack/);
  step("native policy downloaded");

  await page.getByRole("button", { name: "Revoke eng-fleet" }).click();
  await page.waitForURL(BASE + `/console/groups/${eng.id}`);
  assert.match(await page.locator("main").innerText(), /revoked /);
  await page.fill("#key-name", "new-fleet");
  await page.click('button:has-text("Create key")');
  assert.match(await page.locator("#new-key").innerText(), /^egk_/);
  await visit("group");
  step("revoked a key, created one whose secret is shown once");

  // An edit form with bad input: the API's error beside its field, nothing
  // saved; then good input is saved.
  const heartbeat = async () => (await api("GET", `/api/v1/groups/${eng.id}`, admin)).settings.heartbeat_interval_s;
  const hbBefore = await heartbeat();
  await page.fill("#set-heartbeat", "soon");
  await page.click('button:has-text("Save settings")');
  await page.waitForSelector("#set-heartbeat + .field-error");
  assert.match(await page.locator("#set-heartbeat + .field-error").innerText(), /\w/);
  assert.equal(await page.inputValue("#set-heartbeat"), "soon", "the form lost what was typed");
  assert.equal(await heartbeat(), hbBefore, "a refused form saved");
  await visit("group-settings-refused");
  await page.fill("#set-heartbeat", "150");
  await page.click('button:has-text("Save settings")');
  await page.waitForURL(BASE + `/console/groups/${eng.id}`);
  assert.match(await page.locator("dl.facts").innerText(), /Heartbeat interval\s+150 s/);
  assert.equal(await heartbeat(), 150);
  await page.goto(BASE + "/console/webhooks");
  await page.fill("#hook-url", "http://plain.example/hook");
  await page.click('button:has-text("Create webhook")');
  await page.waitForSelector("#hook-url + .field-error");
  assert.equal(await page.locator("tbody tr", { hasText: "plain.example" }).count(), 0, "a refused webhook is listed");
  step("edit forms: a bad field's error beside it, nothing saved; good input saved");

  await page.goto(BASE + "/console/audit");
  const log = await page.locator("main").innerText();
  for (const t of ["blocklist.created", "api_key.revoked", "api_key.created", "user.login"]) assert.ok(log.includes(t), "audit lacks " + t);
  await visit("audit");
  await visit("extensions", "/console/extensions");
  await visit("webhooks", "/console/webhooks");
  await visit("users", "/console/users");
  step("the audit log shows what those steps wrote");

  // An agent asks for an extension; the queue approves it for 7 days, and
  // the agent's page lists the exception and links its SBOM.
  const erin = await agent(ctrKey, "erin-laptop", ["good.tool"]);
  const asked = await api("POST", "/api/v1/agent/requests", ctrKey, { extension_id: "acme.linter", version: "1.0.0", reason: "for the build" }, { "x-agent-id": erin.id });
  await page.goto(BASE + "/console/");
  await page.click('a:has-text("Requests")');
  await page.waitForURL(/\/console\/requests\?status=pending/);
  await visit("requests");
  await page.selectOption(`#duration-${asked.id}`, "7d");
  await page.fill(`#approve-note-${asked.id}`, "until the audit");
  await page.getByRole("button", { name: "Approve acme.linter for m-erin-laptop" }).click();
  await page.waitForURL(/\/console\/requests\?status=pending/);
  assert.ok(!(await page.locator("main").innerText()).includes("acme.linter"), "an answered request is still pending");
  await page.goto(BASE + `/console/agents/${erin.id}`);
  assert.match(await page.locator("main").innerText(), /acme\.linter\s+1\.0\.0\s+\d{4}-/);
  const [bom] = await Promise.all([page.waitForEvent("download"), page.click('a:has-text("SBOM")')]);
  assert.match(await (await import("node:fs/promises")).readFile(await bom.path(), "utf8"), /"bomFormat":\s*"CycloneDX"/);
  await visit("agent-exceptions");
  step("approved a request for 7 days; the agent's page lists the exception; SBOM downloaded");

  const feed = await api("POST", "/api/v1/threat-feeds", admin, { name: "VS Code", kind: "vscode-control", mode: "alert" });
  await api("POST", `/api/v1/threat-feeds/${feed.id}/import`, admin, { malicious: ["evil.pack", "BadPub"], deprecated: {}, search: [] });
  await page.goto(BASE + "/console/feeds");
  assert.match(await page.locator("main").innerText(), /VS Code\s+vscode-control\s+alert\s+2\s/);
  await visit("feeds");
  await page.click('a:has-text("VS Code")');
  await page.waitForSelector("#exposure");
  await visit("feed");
  step("the threat feeds, one feed's exposure and advisories");

  await page.click('button:has-text("Sign out")');
  await page.waitForURL(/\/console\/login/);
  await page.goto(BASE + "/console/groups");
  assert.match(page.url(), /\/console\/login/);
  step("signed out");

  await page.fill('input[name="email"]', viewer.email);
  await page.fill('input[name="password"]', viewer.password);
  await page.click('button[type="submit"]');
  await page.waitForURL(BASE + "/console/groups"); // where it asked to go before signing in
  for (const p of ["/console/blocklist", `/console/groups/${eng.id}`, "/console/installations?extension_id=good.tool"]) {
    await page.goto(BASE + p);
    assert.equal(await page.locator('form[method="post"]').count(), 1, p + ": a viewer sees a form besides sign-out");
    assert.equal(await page.locator("button", { hasText: /Revoke|Block|Create/ }).count(), 0, p + ": a viewer sees an edit button");
  }
  await visit("viewer-group");
  step("a viewer sees no edit controls");

  // A page on another origin posts a form to the console: refused.
  const evil = createServer((_, res) => {
    res.setHeader("content-type", "text/html");
    res.end(`<!doctype html><form id="f" method="post" action="${BASE}/console/blocklist">
      <input name="pattern_type" value="exact"><input name="pattern" value="cross.site"></form>
      <script>document.getElementById("f").submit()</script>`);
  });
  await new Promise((r) => evil.listen(0, "127.0.0.1", r));
  const refused = page.waitForResponse((r) => r.url() === BASE + "/console/blocklist" && r.request().method() === "POST");
  await page.goto(`http://127.0.0.1:${evil.address().port}/`);
  const answer = await refused;
  evil.close();
  // 403 from the Sec-Fetch-Site/Origin check itself (its own text), not a
  // 303 to the login page or the CSRF token's refusal: the browser's headers
  // are what this proves holds.
  assert.equal(answer.status(), 403, "cross-site post answered " + answer.status());
  assert.match(await answer.text(), /cross-site request may not change anything/);
  const entries = await api("GET", "/api/v1/blocklist", admin);
  assert.ok(!entries.items.some((e) => e.pattern === "cross.site"), "the cross-site post created an entry");
  step(`a cross-site form post is refused (${answer.status()})`);

  assert.deepEqual(foreign.filter((u) => !u.startsWith("http://127.0.0.1:")), [], "requests to other origins");
  assert.deepEqual(cspErrors, [], "CSP violations");
  assert.deepEqual(violations, [], "serious or critical accessibility violations");
  step("axe: no serious or critical violation; no request to another origin; no CSP violation");
} finally {
  await browser.close();
  rmSync(profile, { recursive: true, force: true });
}
