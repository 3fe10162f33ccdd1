// Support staff in the web app: find a customer by what they say on the phone, look inside
// read-only, and change something only after stating why, which the audit log then shows.

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ADMIN, accessible, api, newPage, shot, signIn, staffUser, tenantWithAdmin, token, useCentralita } from "./harness.mjs";

useCentralita();

describe("support staff in Chromium", () => {
  test("find a tenant by extension number, read-only until a reason is given", async () => {
    const admin = await token(ADMIN.email, ADMIN.password);
    const t = await tenantWithAdmin(admin, "Clínica Dental Sur");
    const tt = await token(t.email, "e2e-user-password-1");
    await api("POST", `/v1/tenants/${t.id}/extensions`, tt, { number: "5150", display_name: "Recepción" });
    await tenantWithAdmin(admin, "Another Customer");
    const support = staffUser("support");

    const page = await newPage();
    await signIn(page, support);
    await page.getByRole("link", { name: "Find a customer" }).click();
    // Too short: the API's field error at the field.
    await page.getByLabel(/^Name, slug/).fill("5");
    await page.getByRole("button", { name: "Search" }).click();
    await page.locator("#f-q-error").waitFor();
    await page.getByLabel(/^Name, slug/).fill("5150");
    await page.getByRole("button", { name: "Search" }).click();
    const row = page.locator("tr", { hasText: "Clínica Dental Sur" });
    await row.waitFor();
    assert.equal(await page.locator("tbody tr").count(), 1);
    await accessible(page, "support-search");
    await shot(page, "support-search");
    await row.getByRole("button", { name: /Open/ }).click();

    // Inside, read-only: the tenant's data is there, a change is refused.
    await page.getByText(/Read-only/).waitFor();
    await page.getByRole("link", { name: "Extensions" }).click();
    await page.getByRole("link", { name: "5150" }).waitFor();
    await page.getByLabel("Number").fill("5151");
    await page.getByLabel("Display name").fill("Support made");
    await page.getByRole("button", { name: "Create" }).click();
    await page.getByRole("alert").filter({ hasText: /reason/i }).waitFor();
    let list = await api("GET", `/v1/tenants/${t.id}/extensions`, tt);
    assert.equal(list.items.length, 1, "nothing was created without a reason");
    await shot(page, "support-read-only");

    // With a reason (in Spanish: non-ASCII text travels in RFC 8187 form) the change goes
    // through, and the tenant's audit log shows who and why.
    const reason = "Incidencia nº 4711: el cliente pide una extensión";
    await page.getByLabel(/^Reason/).fill(reason);
    await page.getByRole("button", { name: "Act with this reason" }).click();
    await page.getByTestId("acting-reason").waitFor();
    await page.getByRole("button", { name: "Create" }).click();
    await page.getByRole("link", { name: "5151" }).waitFor();
    list = await api("GET", `/v1/tenants/${t.id}/extensions`, tt);
    assert.equal(list.items.length, 2);

    await page.getByRole("link", { name: "Audit log" }).click();
    const event = page.locator("tr", { hasText: "extension.create" }).filter({ hasText: "support" });
    await event.waitFor();
    assert.ok((await event.textContent()).includes(reason));
    await accessible(page, "audit");
    await shot(page, "audit");
    const events = await api("GET", `/v1/tenants/${t.id}/audit-events?action=extension.create`, tt);
    assert.ok(events.items.some((e) => e.actor_role === "support" && e.acting_reason === reason));

    // The reason was stated for this tenant only: opening another one (straight from the
    // search, without leaving) is read-only again, and a change there is refused.
    const other = await tenantWithAdmin(admin, "Otra Empresa SL");
    const ot = await token(other.email, "e2e-user-password-1");
    await page.getByRole("link", { name: "Find a customer" }).click();
    await page.getByLabel(/^Name, slug/).fill("Otra Empresa");
    await page.getByRole("button", { name: "Search" }).click();
    await page.locator("tr", { hasText: "Otra Empresa SL" }).getByRole("button", { name: /Open/ }).click();
    await page.getByText(/Read-only/).waitFor();
    await page.getByRole("link", { name: "Extensions" }).click();
    await page.getByLabel("Number").fill("7001");
    await page.getByLabel("Display name").fill("Not allowed");
    await page.getByRole("button", { name: "Create" }).click();
    await page.getByRole("alert").filter({ hasText: /reason/i }).waitFor();
    assert.equal((await api("GET", `/v1/tenants/${other.id}/extensions`, ot)).items.length, 0);

    // Leaving the tenant ends the reason too.
    await page.getByRole("button", { name: "Leave tenant" }).click();
    await page.getByRole("heading", { name: "Find a customer" }).waitFor();
  });
});
