// A partner's rate decks in Chromium: create a deck, upload a CSV with bad lines (each shown
// with its line and reason, nothing applied) and then a good one, activate the version,
// preview and export it, sell a customer's calls at it, and delete a deck. Other tenants'
// decks, malformed ids and non-partners get the not-found page.

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { ADMIN, PASSWORD, accessible, api, base, newPage, shot, signIn, tenantWithAdmin, token, useCentralita } from "./harness.mjs";

useCentralita();

const BAD = "prefix,destination,rate\n34,Spain,0.012\n3x4,Bad prefix,0.01\n44,United Kingdom,-0.02\n";
const GOOD = 'prefix,destination,rate,connection_fee\n34,Spain,0.012,0.0005\n44,United Kingdom,0.0095,\n1,"NANP, USA & Canada",0.005,\n';

/** Chooses `text` as the CSV file and uploads it. */
async function upload(page, name, text) {
  await page.getByLabel("CSV file").setInputFiles({ name, mimeType: "text/csv", buffer: Buffer.from(text) });
  await page.getByRole("button", { name: "Upload", exact: true }).click();
}

describe("a partner's rate decks in Chromium", () => {
  test("a partner creates a deck, imports rates, activates, exports and sells at it", async () => {
    const admin = await token(ADMIN.email, ADMIN.password);
    const partner = await tenantWithAdmin(admin, "Tarifas SL", "partner_admin");
    const child = await tenantWithAdmin(admin, "Bar Child", "tenant_admin", partner.id);
    const partnerToken = await token(partner.email, PASSWORD);
    const page = await newPage();
    await signIn(page, partner.email);

    await page.getByRole("link", { name: "Rate decks" }).click();
    await page.getByRole("heading", { name: "Rate decks", level: 1 }).waitFor();
    await page.getByText("No rate decks yet.").waitFor();
    // A currency that is not ISO 4217 is refused at its field.
    await page.getByLabel("Name").fill("Retail 2027");
    await page.getByLabel("Currency (ISO 4217)").fill("XYZ");
    await page.getByRole("button", { name: "Create deck" }).click();
    await page.locator("#f-currency-error").waitFor();
    await page.getByLabel("Currency (ISO 4217)").fill("eur");
    await page.getByRole("button", { name: "Create deck" }).click();
    await page.getByRole("heading", { name: "Retail 2027", level: 1 }).waitFor();
    assert.match(page.url(), /\/rate-decks\/[0-9a-f-]{36}$/);
    const deckId = page.url().split("/").pop();
    await page.getByText("No versions yet").waitFor();

    // A file with bad lines: every one reported with its number (the header is line 1),
    // nothing applied.
    await upload(page, "bad.csv", BAD);
    await page.getByText("2 of 3 lines are bad; nothing was applied.").waitFor();
    assert.match(await page.locator('tr[data-line="3"]').textContent(), /digits only/);
    assert.match(await page.locator('tr[data-line="4"]').textContent(), /negative/);
    assert.equal(await page.locator('tr[data-line="2"]').count(), 0);
    await accessible(page, "rate-deck-import-errors");
    await shot(page, "rate-deck-import-errors");
    assert.equal((await api("GET", `/v1/tenants/${partner.id}/rate-decks/${deckId}/versions`, partnerToken)).items.length, 0);

    // A good file makes version 1, not yet active.
    await upload(page, "good.csv", GOOD);
    await page.getByText("Version 1 made with 3 rates.").waitFor();
    const v1 = page.locator('tr[data-version="1"]');
    await v1.waitFor();
    assert.equal(await page.getByTestId("active-version").textContent(), "None");

    // Activated through the in-page question.
    await v1.getByRole("button", { name: "Activate Version 1" }).click();
    await v1.getByText("Make version 1 the active one?").waitFor();
    await v1.getByRole("button", { name: "Activate", exact: true }).click();
    await page.locator('tr[data-version="1"][data-active="true"]').waitFor();
    assert.equal(await page.getByTestId("active-version").textContent(), "1");
    assert.match(await v1.textContent(), /Active/);

    // Its first rates, exactly as the API wrote them.
    await v1.getByRole("button", { name: "Show rates Version 1" }).click();
    const preview = page.getByTestId("rate-preview");
    await preview.waitFor();
    assert.match(await preview.textContent(), /0\.012 EUR/);
    assert.match(await preview.textContent(), /0\.0095 EUR/);
    assert.match(await preview.textContent(), /NANP, USA & Canada/);

    // A description, saved with the deck's version.
    await page.getByLabel("Description (optional)").fill("Customers in Spain");
    await page.getByRole("button", { name: "Save" }).click();
    await page.getByRole("status").filter({ hasText: "Saved" }).waitFor();
    await accessible(page, "rate-deck");
    await shot(page, "rate-deck");
    // On a phone the page still works: the wide tables scroll on their own.
    await page.setViewportSize({ width: 390, height: 844 });
    await shot(page, "rate-deck-phone");
    await accessible(page, "rate-deck-phone");
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1), "the page scrolls sideways on a phone");
    await page.setViewportSize({ width: 1280, height: 800 });

    const [download] = await Promise.all([page.waitForEvent("download"), v1.getByRole("button", { name: "Export CSV Version 1" }).click()]);
    assert.equal(download.suggestedFilename(), "retail-2027-v1.csv");
    const csv = readFileSync(await download.path(), "utf8");
    assert.match(csv, /^prefix,destination,rate,connection_fee/);
    assert.match(csv, /\n34,Spain,0\.012,0\.0005,/);
    assert.match(csv, /\n44,United Kingdom,0\.0095,/);
    assert.match(csv, /\n1,"NANP, USA & Canada",0\.005,/);

    const deck = await api("GET", `/v1/tenants/${partner.id}/rate-decks/${deckId}`, partnerToken);
    assert.equal(deck.active_version, 1);
    assert.equal(deck.currency, "EUR");
    assert.equal(deck.description, "Customers in Spain");

    // The list shows it with its active version.
    await page.getByRole("link", { name: "All rate decks" }).click();
    const row = page.getByTestId("rate-decks").locator("tr", { hasText: "Retail 2027" });
    await row.waitFor();
    assert.match(await row.textContent(), /EUR/);
    assert.equal(await row.locator("td").nth(2).textContent(), "1");
    await accessible(page, "rate-decks");
    await shot(page, "rate-decks");

    // The customer's billing terms offer the deck; selling at it is saved.
    await page.goto(`${base}/tenants/${child.id}/billing`);
    await page.getByRole("heading", { name: "Billing terms of Bar Child" }).waitFor();
    await page.getByLabel("Currency (ISO 4217)").fill("EUR");
    await page.getByLabel("Sells at rate deck").selectOption({ label: "Retail 2027 (EUR)" });
    await page.getByRole("button", { name: "Save" }).click();
    await page.getByRole("status").filter({ hasText: "Saved" }).waitFor();
    const terms = await api("GET", `/v1/tenants/${child.id}/billing-account`, partnerToken);
    assert.equal(terms.sell_deck_id, deckId);

    // A deck in use is not deleted: the customers selling at it are named.
    await page.goto(`${base}/rate-decks/${deckId}`);
    await page.getByRole("heading", { name: "Retail 2027", level: 1 }).waitFor();
    await page.getByRole("button", { name: "Delete deck Retail 2027" }).click();
    await page.getByRole("button", { name: "Delete deck", exact: true }).click();
    await page.getByRole("link", { name: "Bar Child" }).waitFor();
    assert.ok((await api("GET", `/v1/tenants/${partner.id}/rate-decks/${deckId}`, partnerToken)).id);
  });

  test("a deck is deleted through a question; other tenants' decks and non-partners see nothing", async () => {
    const admin = await token(ADMIN.email, ADMIN.password);
    const partner = await tenantWithAdmin(admin, "Borrar SL", "partner_admin");
    const other = await tenantWithAdmin(admin, "Otro SL", "partner_admin");
    const customer = await tenantWithAdmin(admin, "Cliente SA", "tenant_admin", partner.id);
    const partnerToken = await token(partner.email, PASSWORD);
    const otherDeck = await api("POST", `/v1/tenants/${other.id}/rate-decks`, await token(other.email, PASSWORD), { name: "Theirs", currency: "EUR" });
    const mine = await api("POST", `/v1/tenants/${partner.id}/rate-decks`, partnerToken, { name: "Old deck", currency: "USD" });

    const page = await newPage();
    await signIn(page, partner.email);
    await page.goto(`${base}/rate-decks/${mine.id}`);
    await page.getByRole("heading", { name: "Old deck", level: 1 }).waitFor();
    await page.getByRole("button", { name: "Delete deck Old deck" }).click();
    // Asked first, in the page; cancelling keeps it.
    await page.getByText("Delete this rate deck with all its versions?").waitFor();
    await page.getByRole("button", { name: "Cancel" }).click();
    await page.getByRole("button", { name: "Delete deck Old deck" }).click();
    await page.getByRole("button", { name: "Delete deck", exact: true }).click();
    await page.getByRole("heading", { name: "Rate decks", level: 1 }).waitFor();
    await page.getByText("No rate decks yet.").waitFor();
    assert.equal((await api("GET", `/v1/tenants/${partner.id}/rate-decks`, partnerToken)).items.length, 0);
    await page.getByLabel("Language").selectOption("es");
    await page.getByRole("heading", { name: "Tarifas", level: 1 }).waitFor();
    await page.getByText("Todavía no hay tarifas.").waitFor();
    await accessible(page, "rate-decks-es");
    await shot(page, "rate-decks-es");

    // Another partner's deck, a malformed id, a deeper path: not found.
    for (const path of [`/rate-decks/${otherDeck.id}`, "/rate-decks/not-a-deck", `/rate-decks/${mine.id}`, `/rate-decks/${otherDeck.id}/versions`]) {
      await page.goto(base + path);
      await page.getByRole("heading", { name: "No encontrado" }).waitFor();
    }
    await accessible(page, "rate-deck-not-found");

    // A customer's admin has no rate decks.
    const customerPage = await newPage();
    await signIn(customerPage, customer.email);
    assert.equal(await customerPage.getByRole("link", { name: "Rate decks" }).count(), 0);
    await customerPage.goto(`${base}/rate-decks`);
    await customerPage.getByRole("heading", { name: "Not found" }).waitFor();
  });
});
