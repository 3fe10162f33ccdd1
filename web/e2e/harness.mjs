// The end-to-end harness: a real Centralita (the binary the cargo build made, on SQLite in a
// temporary directory, on a free loopback port) and Debian's Chromium through playwright-core.
// Each test file calls `useCentralita()` once at top level; the helpers below then work on it.
// CENTRALITA_BIN overrides ../target/debug/centralita, CHROMIUM_PATH /usr/bin/chromium.
// Screenshots go to e2e/artifacts/; `accessible()` runs axe-core in the page.

import { after, before } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const BIN = process.env.CENTRALITA_BIN ?? resolve(here, "../../target/debug/centralita");
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const ARTIFACTS = resolve(here, "artifacts");
const AXE = readFileSync(resolve(here, "../node_modules/axe-core/axe.min.js"), "utf8");
// The harness's own variable is not a server setting (the server refuses unknown ones).
const { CENTRALITA_BIN: _bin, ...INHERITED } = process.env;
export const ADMIN = { email: "ops@e2e.example.com", password: "e2e-platform-password" };
export const PASSWORD = "e2e-user-password-1";

let server;
let data;
export let base;
let browser;

function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
    s.on("error", fail);
  });
}

export async function api(method, path, token, body) {
  const res = await fetch(base + path, {
    method,
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  const json = text ? JSON.parse(text) : null;
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return json;
}

export async function token(email, password) {
  return (await api("POST", "/v1/auth/token", null, { email, password })).access_token;
}

let seq = 0;
/** A tenant with an admin (and a SIP domain); answers its id and the admin's e-mail. */
export async function tenantWithAdmin(admin, name, role = "tenant_admin", parent = null) {
  seq += 1;
  const tenant = await api("POST", "/v1/tenants", admin, {
    name,
    parent_id: parent,
    domain: `t${seq}-${Date.now()}.pbx.example.com`,
  });
  const email = `admin${seq}@${tenant.slug}.example.com`;
  await api("POST", `/v1/tenants/${tenant.id}/users`, admin, {
    email,
    display_name: `${name} Admin`,
    role,
    password: PASSWORD,
  });
  return { id: tenant.id, email };
}

/** Platform staff are made on the command line, never over HTTP: `centralita admin
 * create-user` on the running server's database. Answers the e-mail (password `PASSWORD`). */
export function staffUser(role = "support") {
  seq += 1;
  const email = `${role}${seq}@platform.example.com`;
  execFileSync(BIN, ["admin", "create-user", "--email", email, "--display-name", `Staff ${seq}`, "--role", role, "--password", PASSWORD], {
    env: { ...INHERITED, CENTRALITA_DATA_DIR: data, RUST_LOG: "warn" },
    stdio: ["ignore", "ignore", "inherit"],
  });
  return email;
}

export async function newPage() {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const errors = [];
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  page.on("pageerror", (e) => errors.push(String(e)));
  page.cspErrors = () => errors.filter((e) => /Content.Security.Policy/i.test(e));
  return page;
}

export async function signIn(page, email, password = PASSWORD) {
  await page.goto(base + "/");
  await page.getByLabel("E-mail").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Dashboard" }).waitFor();
}

export async function shot(page, name) {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** axe-core in the page: no serious or critical violations. */
export async function accessible(page, name) {
  // Evaluated through the DevTools protocol: the page's CSP (rightly) forbids inline scripts.
  await page.evaluate(AXE);
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ["violations"] });
    return {
      passes: r.passes.length,
      violations: r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(" ")) })),
    };
  });
  // axe ran its rules (a page it could not check would pass nothing).
  assert.ok(result.passes > 10, `${name}: axe checked only ${result.passes} rules`);
  const bad = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  assert.deepEqual(bad, [], `${name}: accessibility violations`);
}

/** Starts Centralita and Chromium before the file's tests, and stops them after. */
export function useCentralita() {
before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  data = mkdtempSync(join(tmpdir(), "centralita-e2e-"));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  server = spawn(BIN, [], {
    env: {
      ...INHERITED,
      CENTRALITA_LISTEN: `127.0.0.1:${port}`,
      CENTRALITA_DATA_DIR: data,
      CENTRALITA_BOOTSTRAP_ADMIN_EMAIL: ADMIN.email,
      CENTRALITA_BOOTSTRAP_ADMIN_PASSWORD: ADMIN.password,
      RUST_LOG: "warn",
    },
    stdio: ["ignore", "inherit", "inherit"],
  });
  for (let i = 0; i < 600; i++) {
    try {
      if ((await fetch(base + "/readyz")).ok) break;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
});

after(async () => {
  await browser?.close();
  server?.kill("SIGTERM");
  if (data) rmSync(data, { recursive: true, force: true });
});
}
