// Tenant admin tools in Chromium: extensions in bulk (CSV import with a dry run, export),
// API keys (secret once, revoke) and outbound routes with the pattern tester.

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { ADMIN, PASSWORD, accessible, api, newPage, shot, signIn, tenantWithAdmin, token, useCentralita } from "./harness.mjs";

useCentralita();

describe("tenant admin tools in Chromium", () => {
  test("a CSV import is checked line by line, then imported all at once; export downloads", async () => {
    const admin = await token(ADMIN.email, ADMIN.password);
    const t = await tenantWithAdmin(admin, "Import Co");
    const tt = await token(t.email, PASSWORD);
    const page = await newPage();
    await signIn(page, t.email);
    await page.goto(page.url().replace(/\/$/, "") + "/extensions");
    await page.getByRole("heading", { name: "Extensions", level: 1 }).waitFor();

    const bad = "number,display_name\n6001,Ana\n06002,Luis\n6003,\n";
    await page.getByLabel("CSV file").setInputFiles({ name: "bad.csv", mimeType: "text/csv", buffer: Buffer.from(bad) });
    await page.getByRole("button", { name: "Check file" }).click();
    await page.getByText("Nothing was imported").waitFor();
    // Each problem is shown with its line (the header is line 1).
    assert.equal(await page.locator('tr[data-line="3"]').count() >= 1, true);
    assert.equal(await page.locator('tr[data-line="4"]').count() >= 1, true);
    assert.ok(await page.getByRole("button", { name: "Import" }).isDisabled());
    await accessible(page, "extensions-import");
    await shot(page, "extensions-import");
    assert.equal((await api("GET", `/v1/tenants/${t.id}/extensions`, tt)).items.length, 0);

    const good = "number,display_name\n6001,Ana\n6002,Luis\n";
    await page.getByLabel("CSV file").setInputFiles({ name: "good.csv", mimeType: "text/csv", buffer: Buffer.from(good) });
    await page.getByRole("button", { name: "Check file" }).click();
    await page.getByText("2 rows are valid").waitFor();
    await page.getByRole("button", { name: "Import" }).click();
    await page.getByText("2 extensions created").waitFor();
    assert.equal(await page.locator(".secret code").count(), 2);
    await page.getByRole("link", { name: "6002" }).waitFor();
    assert.equal((await api("GET", `/v1/tenants/${t.id}/extensions`, tt)).items.length, 2);

    const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Export as CSV" }).click()]);
    const csv = readFileSync(await download.path(), "utf8");
    assert.match(csv, /^number,display_name/);
    assert.match(csv, /6001,Ana/);
    assert.ok(!/password/i.test(csv));
  });

  test("an API key's secret is shown once and the key can be revoked", async () => {
    const admin = await token(ADMIN.email, ADMIN.password);
    const t = await tenantWithAdmin(admin, "Keys Co");
    const page = await newPage();
    await signIn(page, t.email);
    await page.getByRole("link", { name: "API keys" }).click();
    await page.getByLabel("Name").fill("CRM integration");
    await page.getByRole("button", { name: "Create key" }).click();
    const secret = await page.getByTestId("secret").textContent();
    assert.match(secret, /^ck_/);
    // The key works against the API, and the list never shows it again.
    const me = await fetch(new URL("/v1/me", page.url()), { headers: { authorization: `Bearer ${secret}` } });
    assert.equal(me.status, 200);
    await page.reload();
    await page.getByRole("cell", { name: "CRM integration", exact: true }).waitFor();
    assert.ok(!(await page.content()).includes(secret));
    await accessible(page, "api-keys");
    await shot(page, "api-keys");

    await page.getByRole("button", { name: "Revoke CRM integration" }).click();
    await page.getByRole("button", { name: "Revoke CRM integration" }).last().click();
    await page.getByRole("cell", { name: "Revoked" }).waitFor();
    const after = await fetch(new URL("/v1/me", page.url()), { headers: { authorization: `Bearer ${secret}` } });
    assert.equal(after.status, 401);
  });

  test("outbound routes: create one, and the tester shows where a number goes", async () => {
    const admin = await token(ADMIN.email, ADMIN.password);
    const t = await tenantWithAdmin(admin, "Routes Co");
    const tt = await token(t.email, PASSWORD);
    await api("POST", `/v1/tenants/${t.id}/trunks`, tt, { name: "Own SIP trunk", host: "sip.own-carrier.example.com" });
    const page = await newPage();
    await signIn(page, t.email);
    await page.getByRole("link", { name: "Outbound routes" }).click();
    await page.getByText("No routes yet").waitFor();

    // A bad pattern: the API's error at the field, nothing created.
    await page.getByLabel("Name", { exact: true }).fill("Spain");
    await page.getByLabel("Dial patterns, one per line").fill("9|[[");
    await page.getByLabel(/Own SIP trunk/).check();
    await page.getByRole("button", { name: "Create" }).click();
    await page.locator("#f-patterns-error").waitFor();
    assert.equal((await api("GET", `/v1/tenants/${t.id}/outbound-routes`, tt)).items.length, 0);

    await page.getByLabel("Dial patterns, one per line").fill("0|NXXXXXXXX");
    await page.getByRole("button", { name: "Create" }).click();
    await page.getByRole("cell", { name: "Spain", exact: true }).waitFor();

    await page.getByLabel("Number as dialled").fill("0910000001");
    await page.getByRole("button", { name: "Test" }).click();
    const result = page.getByTestId("route-test");
    await result.getByText("Own SIP trunk").waitFor();
    assert.match(await result.textContent(), /910000001/);
    await page.getByLabel("Number as dialled").fill("555");
    await page.getByRole("button", { name: "Test" }).click();
    await result.getByText(/No enabled route matches/).waitFor();
    await accessible(page, "outbound-routes");
    await shot(page, "outbound-routes");
  });
});
