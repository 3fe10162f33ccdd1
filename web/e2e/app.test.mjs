// End to end in Chromium against a real Centralita: sign-in, extensions, forwarding, the
// not-found page, partners' tenants, languages. Run with `npm run e2e` (see harness.mjs).

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ADMIN, PASSWORD, accessible, api, base, newPage, shot, signIn, tenantWithAdmin, token, useCentralita } from "./harness.mjs";

useCentralita();

describe("the web app in Chromium", () => {
  test("a tenant admin creates an extension and sees its SIP password once", async () => {
    const admin = await token(ADMIN.email, ADMIN.password);
    const acme = await tenantWithAdmin(admin, "Acme Plumbing");
    const page = await newPage();
    await signIn(page, acme.email);
    // A new tenant: no switch reports its phones yet ("—", not a false 0), no voicemail.
    await page.getByTestId("registered-count").waitFor();
    assert.match(await page.getByTestId("registered-count").textContent(), /^—/);
    assert.match(await page.getByTestId("voicemail-count").textContent(), /^0/);
    await accessible(page, "dashboard");
    await shot(page, "dashboard");

    await page.getByRole("link", { name: "Extensions" }).click();
    await page.getByRole("heading", { name: "Extensions", level: 1 }).waitFor();
    // A bad number: the API's field error is shown at the field.
    await page.getByLabel("Number").fill("0123");
    await page.getByLabel("Display name").fill("Reception");
    await page.getByRole("button", { name: "Create" }).click();
    const numberField = page.getByLabel("Number");
    await page.locator("#f-number-error").waitFor();
    assert.equal(await numberField.getAttribute("aria-invalid"), "true");

    await numberField.fill("1001");
    await page.getByRole("button", { name: "Create" }).click();
    const secret = page.getByTestId("secret");
    await secret.waitFor();
    const password = await secret.textContent();
    assert.ok(password && password.length >= 16, `SIP password shown: ${password}`);
    await page.getByRole("link", { name: "1001" }).waitFor();
    await accessible(page, "extensions");
    await shot(page, "extensions");

    // Through the API: the extension exists, and its password is not readable again.
    const acmeToken = await token(acme.email, PASSWORD);
    const list = await api("GET", `/v1/tenants/${acme.id}/extensions`, acmeToken);
    assert.equal(list.items.length, 1);
    assert.ok(!JSON.stringify(list).includes(password));

    // A reload restores the session from its cookie (no token in storage), and the
    // password is gone for good.
    await page.reload();
    await page.getByRole("heading", { name: "Extensions", level: 1 }).waitFor();
    assert.equal(await page.getByTestId("secret").count(), 0);
    const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }) + document.cookie);
    assert.ok(!stored.includes("rt_") && !stored.includes("eyJ"), `tokens in script-readable storage: ${stored}`);
    assert.deepEqual(page.cspErrors(), []);
  });

  test("forwarding is set with the destination picker and reaches the API", async () => {
    const admin = await token(ADMIN.email, ADMIN.password);
    const t = await tenantWithAdmin(admin, "Forwarding Co");
    const tt = await token(t.email, PASSWORD);
    const ext = await api("POST", `/v1/tenants/${t.id}/extensions`, tt, { number: "2001", display_name: "Luis" });
    await api("POST", `/v1/tenants/${t.id}/extensions`, tt, { number: "2002", display_name: "Recepción" });
    const page = await newPage();
    await signIn(page, t.email);
    await page.goto(`${base}/extensions/${ext.id}`);
    await page.getByRole("heading", { name: "2001 · Luis" }).waitFor();
    await page.getByLabel("Kind").selectOption("extension");
    await page.getByLabel("Search").fill("recepcion");
    const target = page.getByLabel("Extension", { exact: true });
    await target.selectOption({ label: "2002 · Recepción" });
    await page.getByLabel("Do not disturb").check();
    await page.getByRole("button", { name: "Save" }).click();
    await page.getByRole("status").filter({ hasText: "Saved" }).waitFor();
    await accessible(page, "extension");
    await shot(page, "extension");

    const saved = await api("GET", `/v1/tenants/${t.id}/extensions/${ext.id}`, tt);
    assert.equal(saved.dnd, true);
    assert.equal(saved.forwarding.always.destination.type, "extension");
    assert.notEqual(saved.forwarding.always.destination.id, ext.id);
  });

  test("a tenant user turns on forwarding of their own phone", async () => {
    const admin = await token(ADMIN.email, ADMIN.password);
    const t = await tenantWithAdmin(admin, "Users Co");
    const tt = await token(t.email, PASSWORD);
    const email = `luis@users-${Date.now()}.example.com`;
    await api("POST", `/v1/tenants/${t.id}/users`, tt, {
      email,
      display_name: "Luis",
      role: "tenant_user",
      password: PASSWORD,
      extension: { number: "4001", display_name: "Luis" },
    });
    const page = await newPage();
    await signIn(page, email);
    // A tenant user has no admin pages: their dashboard is their phone.
    assert.equal(await page.getByRole("link", { name: "Extensions" }).count(), 0);
    await page.getByRole("link", { name: "My phone" }).click();
    await page.getByRole("heading", { name: "4001 · Luis" }).waitFor();
    await page.getByLabel("Kind").selectOption("external_number");
    await page.getByLabel("Number").fill("+34910000002");
    await page.getByRole("button", { name: "Save" }).click();
    await page.getByRole("status").filter({ hasText: "Saved" }).waitFor();
    await accessible(page, "my-phone");
    await shot(page, "my-phone");

    const userToken = await token(email, PASSWORD);
    const mine = await api("GET", "/v1/me/extensions", userToken);
    assert.deepEqual(mine.items[0].forwarding.always, {
      enabled: true,
      destination: { type: "external_number", number: "+34910000002" },
    });
  });

  test("another tenant's object URL is a not-found page", async () => {
    const admin = await token(ADMIN.email, ADMIN.password);
    const mine = await tenantWithAdmin(admin, "Mine Ltd");
    const theirs = await tenantWithAdmin(admin, "Theirs Ltd");
    const theirToken = await token(theirs.email, PASSWORD);
    const ext = await api("POST", `/v1/tenants/${theirs.id}/extensions`, theirToken, {
      number: "3001",
      display_name: "Secret Person",
    });
    const page = await newPage();
    await signIn(page, mine.email);
    await page.goto(`${base}/extensions/${ext.id}`);
    await page.getByRole("heading", { name: "Not found" }).waitFor();
    assert.equal(await page.getByText("Secret Person").count(), 0);
    await page.goto(`${base}/no/such/page`);
    await page.getByRole("heading", { name: "Not found" }).waitFor();
    await shot(page, "not-found");
  });

  test("a partner creates and suspends a child tenant", async () => {
    const admin = await token(ADMIN.email, ADMIN.password);
    const partner = await tenantWithAdmin(admin, "Reseller SL", "partner_admin");
    const page = await newPage();
    await signIn(page, partner.email);
    await page.getByRole("link", { name: "Tenants" }).click();
    await page.getByRole("heading", { name: "Tenants", level: 1 }).waitFor();
    await page.getByLabel("Name").fill("Bakery Child");
    await page.getByLabel("Slug").fill(`bakery-child-${Date.now()}`);
    await page.getByRole("button", { name: "Create" }).click();
    const row = page.locator("tr", { hasText: "Bakery Child" });
    await row.waitFor();
    await row.getByRole("button", { name: /Suspend/ }).click();
    // Asked first, in the page: nothing happens until confirmed.
    await row.getByText(/Its users cannot sign in/).waitFor();
    await row.getByRole("button", { name: "Suspend", exact: true }).click();
    await row.getByText("Suspended").waitFor();
    await accessible(page, "tenants");
    await shot(page, "tenants");

    const partnerToken = await token(partner.email, PASSWORD);
    const children = await api("GET", `/v1/tenants?parent_id=${partner.id}`, partnerToken);
    const child = children.items.find((c) => c.name === "Bakery Child");
    assert.equal(child?.status, "suspended");

    // The customer's billing terms: a bad tax rate is refused at the field, then postpaid
    // with a credit limit is saved.
    await row.getByRole("link", { name: /Billing terms/ }).click();
    await page.getByRole("heading", { name: "Billing terms of Bakery Child" }).waitFor();
    await page.getByLabel("Tax rate (%)").fill("250");
    await page.getByRole("button", { name: "Save" }).click();
    await page.locator("#f-tax_rate-error").waitFor();
    await page.getByLabel("Tax rate (%)").fill("21");
    await page.getByLabel("Account").selectOption("postpaid");
    await page.getByLabel("Credit limit").fill("50.00");
    await page.getByRole("button", { name: "Save" }).click();
    await page.getByRole("status").filter({ hasText: "Saved" }).waitFor();
    await accessible(page, "child-billing");
    await shot(page, "child-billing");
    const terms = await api("GET", `/v1/tenants/${child.id}/billing-account`, partnerToken);
    assert.equal(terms.kind, "postpaid");
    assert.match(terms.credit_limit, /^50(\.0+)?$/);

    // The revenue report over the partner's subtree (no calls yet: the empty state).
    await page.getByRole("link", { name: "Revenue" }).click();
    await page.getByRole("heading", { name: "Revenue and margin" }).waitFor();
    await page.getByRole("button", { name: "Show" }).click();
    await page.getByText("No calls in this period.").waitFor();
    await accessible(page, "revenue");
    await shot(page, "revenue");
  });

  test("Spanish is a choice kept per user, and signing out ends the session", async () => {
    const admin = await token(ADMIN.email, ADMIN.password);
    const t = await tenantWithAdmin(admin, "Idiomas SA");
    const page = await newPage();
    await signIn(page, t.email);
    await page.getByLabel("Language").selectOption("es");
    await page.getByRole("heading", { name: "Panel" }).waitFor();
    assert.equal(await page.evaluate(() => document.documentElement.lang), "es");
    await page.reload();
    await page.getByRole("heading", { name: "Panel" }).waitFor();
    await shot(page, "dashboard-es");
    // Kept with the user's account: another browser (a fresh context) opens in Spanish.
    const elsewhere = await newPage();
    await elsewhere.goto(base + "/");
    await elsewhere.getByLabel("E-mail").fill(t.email);
    await elsewhere.getByLabel("Password").fill(PASSWORD);
    await elsewhere.getByRole("button", { name: "Sign in" }).click();
    await elsewhere.getByRole("heading", { name: "Panel" }).waitFor();
    const me = await api("GET", "/v1/me", await token(t.email, PASSWORD));
    assert.equal(me.user.locale, "es");

    await page.getByRole("button", { name: "Cerrar sesión" }).click();
    await page.getByRole("button", { name: "Iniciar sesión" }).waitFor();
    await page.reload();
    // The cookie's session was revoked: the app asks to sign in again.
    await page.getByLabel("Contraseña").waitFor();
    await accessible(page, "sign-in");
    await shot(page, "sign-in");
  });
});
