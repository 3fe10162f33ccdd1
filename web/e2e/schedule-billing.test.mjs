// End to end in Chromium against a real Centralita: a tenant admin builds office hours with a
// holiday in the weekly schedule editor and asks "what happens at …"; an existing schedule's
// rules the editor cannot show survive a save; the billing page shows the balance and the
// transactions a platform admin posted. Run with `npm run e2e` (see harness.mjs).
//
// Invoices: the API has no way to make one on demand (they come from the billing cycle's job
// once a period has ended), so the invoices list is checked in its empty state and the
// printable page for an unknown id is the not-found page.

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { ADMIN, PASSWORD, accessible, api, base, newPage, shot, signIn, tenantWithAdmin, token, useCentralita } from "./harness.mjs";

useCentralita();

/** POST a ledger transaction (the harness's `api` cannot send the Idempotency-Key it needs). */
async function postTransaction(tenant, adminToken, body) {
  const res = await fetch(`${base}/v1/tenants/${tenant}/transactions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${adminToken}`, "idempotency-key": randomUUID() },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  assert.equal(res.status, 201, `POST transaction: ${res.status} ${text}`);
  return JSON.parse(text);
}

/** Asks the page what happens at a wall-clock time; waits for the verdict and where calls go
 * (the destination's name loads after the verdict), and answers the whole result. */
async function whatHappensAt(page, local, verdict, goesTo) {
  await page.getByLabel("Date and time in Europe/Madrid").fill(local);
  await page.getByRole("button", { name: "Check", exact: true }).click();
  await page.locator("time", { hasText: local }).first().waitFor();
  await page.getByTestId("verdict").filter({ hasText: new RegExp(`^${verdict.replace(/[()]/g, "\\$&")}$`) }).waitFor();
  const result = page.getByRole("status").filter({ has: page.getByTestId("verdict") });
  await result.filter({ hasText: `Calls go to: ${goesTo}` }).waitFor();
  return (await result.textContent()) ?? "";
}

describe("time conditions and billing in Chromium", () => {
  test("a tenant admin builds office hours with a holiday and checks what happens when", async () => {
    const admin = await token(ADMIN.email, ADMIN.password);
    const t = await tenantWithAdmin(admin, "Horarios SL");
    const tt = await token(t.email, PASSWORD);
    const ext = await api("POST", `/v1/tenants/${t.id}/extensions`, tt, { number: "1001", display_name: "Recepción" });
    const listPath = `/v1/tenants/${t.id}/time-conditions`;

    const page = await newPage();
    await signIn(page, t.email);
    await page.getByRole("link", { name: "Time conditions" }).click();
    await page.getByRole("heading", { name: "Time conditions", level: 1 }).waitFor();
    await page.getByText("No time conditions yet.").waitFor();
    await accessible(page, "time-conditions-empty");
    await shot(page, "time-conditions-empty");

    await page.getByRole("link", { name: "New time condition" }).click();
    await page.getByRole("heading", { name: "New time condition", level: 1 }).waitFor();
    await page.getByLabel("Search time zones").fill("madrid");
    await page.getByLabel("Time zone", { exact: true }).selectOption("Europe/Madrid");

    // Monday 09:00-17:00, copied to Tuesday-Friday.
    const monday = page.getByRole("group", { name: "Monday" });
    await monday.getByRole("button", { name: "Add hours Monday" }).click();
    await monday.getByLabel("Opens Monday 1").fill("09:00");
    await monday.getByLabel("Closes Monday 1").fill("17:00");
    await page.getByRole("button", { name: "Copy Monday's hours to Tuesday–Friday" }).click();
    await page.getByRole("group", { name: "Friday" }).getByLabel("Closes Friday 1").waitFor();
    assert.equal(await page.getByRole("group", { name: "Friday" }).getByLabel("Closes Friday 1").inputValue(), "17:00");

    // Christmas (a Friday) as a holiday.
    const holidays = page.getByRole("group", { name: "Holidays and closures" });
    await holidays.getByLabel("Date (or first day)").fill("2026-12-25");
    await holidays.getByRole("button", { name: "Add holiday" }).click();
    await holidays.getByText("Fri, Dec 25, 2026").waitFor();

    // Open: the extension; closed: hang up.
    const open = page.getByRole("group", { name: /When the schedule matches/ });
    await open.getByLabel("Kind").selectOption("extension");
    await open.getByLabel("Extension", { exact: true }).selectOption({ label: "1001 · Recepción" });
    await page.getByRole("group", { name: /^Otherwise/ }).getByLabel("Kind").selectOption("hangup");
    await page.getByLabel("Name", { exact: true }).fill("Horario de oficina");

    // An interval ending before it starts is flagged at the inputs, and nothing is created.
    const saturday = page.getByRole("group", { name: "Saturday" });
    await saturday.getByRole("button", { name: "Add hours Saturday" }).click();
    await saturday.getByLabel("Opens Saturday 1").fill("18:00");
    await saturday.getByLabel("Closes Saturday 1").fill("10:00");
    await saturday.getByText("It ends before it starts (an end of 00:00 is midnight).").waitFor();
    assert.equal(await saturday.getByLabel("Closes Saturday 1").getAttribute("aria-invalid"), "true");
    await page.getByRole("button", { name: "Create", exact: true }).click();
    await page.getByRole("alert").filter({ hasText: "Some fields need fixing; nothing was saved." }).waitFor();
    await accessible(page, "time-condition-invalid");
    await shot(page, "time-condition-invalid");
    assert.equal((await api("GET", listPath, tt)).items.length, 0);
    await saturday.getByRole("button", { name: /^Remove Saturday/ }).click();
    await saturday.getByText("Closed").waitFor();

    // A missing name: the error is at the field, and nothing is created either.
    await page.getByLabel("Name", { exact: true }).fill("");
    await page.getByRole("button", { name: "Create", exact: true }).click();
    await page.locator("#f-name-error", { hasText: "Enter a name." }).waitFor();
    assert.equal(await page.getByLabel("Name", { exact: true }).getAttribute("aria-invalid"), "true");
    assert.equal((await api("GET", listPath, tt)).items.length, 0);

    await page.getByLabel("Name", { exact: true }).fill("Horario de oficina");
    await accessible(page, "time-condition-new");
    await shot(page, "time-condition-new");
    await page.getByRole("button", { name: "Create", exact: true }).click();
    await page.getByRole("heading", { name: "Horario de oficina", level: 1 }).waitFor();

    // Through the API: what was built is what is stored.
    const { items } = await api("GET", listPath, tt);
    assert.equal(items.length, 1);
    const stored = items[0];
    assert.ok(page.url().endsWith(`/time-conditions/${stored.id}`), page.url());
    assert.deepEqual(stored.schedule, {
      time_zone: "Europe/Madrid",
      rules: [{ weekdays: ["mon-fri"], times: ["09:00-17:00"] }],
      exceptions: [{ dates: ["2026-12-25"] }],
    });
    assert.deepEqual(stored.matched_destination, { type: "extension", id: ext.id });
    assert.deepEqual(stored.unmatched_destination, { type: "hangup" });

    // The edit page shows it back as built.
    assert.equal(await page.getByLabel("Time zone", { exact: true }).inputValue(), "Europe/Madrid");
    assert.equal(await page.getByRole("group", { name: "Wednesday" }).getByLabel("Opens Wednesday 1").inputValue(), "09:00");
    await page.getByRole("group", { name: "Sunday" }).getByText("Closed").waitFor();

    // What happens at … (on Madrid's clock).
    const monday10 = await whatHappensAt(page, "2026-12-21T10:00", "Matched (open)", "Extension 1001 · Recepción");
    assert.match(monday10, /Because of the rule: Days: mon-fri · Hours: 09:00-17:00/);
    assert.match(monday10, /2026-12-21T10:00:00\+01:00/);
    await accessible(page, "time-condition");
    await shot(page, "time-condition");

    const holiday = await whatHappensAt(page, "2026-12-25T10:00", "Not matched (closed)", "Hang up");
    assert.match(holiday, /Because of the exception: Dates: 2026-12-25/);

    // 08:30 in Madrid is 07:30 UTC: closed (read as UTC it would be 09:30 in Madrid, open).
    const early = await whatHappensAt(page, "2026-12-21T08:30", "Not matched (closed)", "Hang up");
    assert.match(early, /No rule matches at this time/);

    // The list summarises it.
    await page.getByRole("link", { name: "All time conditions" }).click();
    const row = page.locator("tr", { hasText: "Horario de oficina" });
    await row.getByText("Mon–Fri 09:00–17:00 · 1 holiday").waitFor();
    await row.getByText("Extension 1001 · Recepción").waitFor();
    await row.getByText("Hang up").waitFor();
    await accessible(page, "time-conditions");
    await shot(page, "time-conditions");
    assert.deepEqual(page.cspErrors(), []);
  });

  test("rules the weekly editor cannot show are shown read-only and kept on save", async () => {
    const admin = await token(ADMIN.email, ADMIN.password);
    const t = await tenantWithAdmin(admin, "Verano SL");
    const tt = await token(t.email, PASSWORD);
    const summer = { weekdays: ["mon-fri"], times: ["08:00-15:00"], months: ["jul-aug"] };
    const newYearsEve = { dates: ["2026-12-31"], times: ["14:00-24:00"] };
    const created = await api("POST", `/v1/tenants/${t.id}/time-conditions`, tt, {
      name: "Jornada de verano",
      schedule: {
        time_zone: "Europe/Madrid",
        rules: [{ weekdays: ["mon-fri"], times: ["09:00-17:00"] }, summer],
        exceptions: [newYearsEve],
      },
      matched_destination: { type: "hangup" },
      unmatched_destination: { type: "external_number", number: "+34910000000" },
    });

    const page = await newPage();
    await signIn(page, t.email);
    await page.goto(`${base}/time-conditions/${created.id}`);
    await page.getByRole("heading", { name: "Jornada de verano", level: 1 }).waitFor();
    await page.getByRole("group", { name: "Other rules" }).getByText("Months: jul-aug · Days: mon-fri · Hours: 08:00-15:00", { exact: true }).waitFor();
    await page.getByRole("group", { name: "Other exceptions" }).getByText("Dates: 2026-12-31 · Hours: 14:00-24:00", { exact: true }).waitFor();
    await accessible(page, "time-condition-kept-rules");
    await shot(page, "time-condition-kept-rules");

    // Edit what the grid shows: a holiday and longer Friday hours; save.
    const holidays = page.getByRole("group", { name: "Holidays and closures" });
    await holidays.getByLabel("Date (or first day)").fill("2026-08-10");
    await holidays.getByLabel("Last day (for a range; optional)").fill("2026-08-14");
    await holidays.getByRole("button", { name: "Add holiday" }).click();
    await page.getByRole("group", { name: "Friday" }).getByLabel("Closes Friday 1").fill("18:00");
    await page.getByRole("button", { name: "Save", exact: true }).click();
    await page.getByRole("status").filter({ hasText: "Saved" }).waitFor();

    const saved = await api("GET", `/v1/tenants/${t.id}/time-conditions/${created.id}`, tt);
    assert.deepEqual(saved.schedule, {
      time_zone: "Europe/Madrid",
      rules: [{ weekdays: ["mon-thu"], times: ["09:00-17:00"] }, { weekdays: ["fri"], times: ["09:00-18:00"] }, summer],
      exceptions: [{ dates: ["2026-08-10..2026-08-14"] }, newYearsEve],
    });
    assert.deepEqual(saved.unmatched_destination, { type: "external_number", number: "+34910000000" });

    // The summer rule still decides: a Monday in July at 08:30 is open.
    const july = await whatHappensAt(page, "2026-07-06T08:30", "Matched (open)", "Hang up");
    assert.match(july, /Because of the rule: Months: jul-aug/);
  });

  test("billing shows the balance and the transactions a platform admin posted", async () => {
    const admin = await token(ADMIN.email, ADMIN.password);
    const t = await tenantWithAdmin(admin, "Cuentas SA");
    const tt = await token(t.email, PASSWORD);
    const topUp = await postTransaction(t.id, admin, { kind: "top_up", amount: "100.50", description: "Transferencia bancaria" });
    const fix = await postTransaction(t.id, admin, { kind: "adjustment", amount: "-0.25", description: "Corrección de redondeo" });
    const balance = await api("GET", `/v1/tenants/${t.id}/balance`, tt);
    assert.equal(Number(balance.balance), 100.25, JSON.stringify(balance));

    const page = await newPage();
    await signIn(page, t.email);
    await page.getByRole("link", { name: "Billing" }).click();
    await page.getByRole("heading", { name: "Billing", level: 1 }).waitFor();
    // Exactly the API's strings, with the currency.
    await page.getByTestId("balance").filter({ hasText: `${balance.balance} ${balance.currency}` }).waitFor();
    assert.equal(await page.getByTestId("available").textContent(), `${balance.available} ${balance.currency}`);
    assert.equal(await page.getByTestId("held").textContent(), `${balance.held} ${balance.currency}`);

    const rows = page.getByTestId("transactions").locator("tbody tr");
    await rows.nth(1).waitFor();
    assert.equal(await rows.count(), 2);
    const first = await rows.nth(0).innerText();
    assert.match(first, /Top-up/);
    assert.match(first, /Transferencia bancaria/);
    assert.ok(first.includes(`${topUp.amount} ${topUp.currency}`), first);
    const second = await rows.nth(1).innerText();
    assert.match(second, /Adjustment/);
    assert.ok(second.includes(`${fix.amount} ${fix.currency}`), second);

    // No invoice can exist yet (none is made before a billing period ends).
    await page.getByTestId("no-invoices").waitFor();
    await accessible(page, "billing");
    await shot(page, "billing");

    // Filtering by kind.
    await page.getByLabel("Show").selectOption("adjustment");
    await page.getByTestId("transactions").locator("tbody tr", { hasText: "Corrección de redondeo" }).waitFor();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="transactions"] tbody tr').length === 1);

    // In Spanish.
    await page.getByLabel("Language").selectOption("es");
    await page.getByRole("heading", { name: "Facturación", level: 1 }).waitFor();
    await page.getByText("Aún no hay facturas.", { exact: false }).waitFor();
    await shot(page, "billing-es");
    await page.getByLabel("Idioma").selectOption("en");

    // An invoice that does not exist (or is another tenant's) is the not-found page.
    await page.goto(`${base}/billing/invoices/${randomUUID()}`);
    await page.getByRole("heading", { name: "Not found" }).waitFor();
    assert.deepEqual(page.cspErrors(), []);
  });
});
