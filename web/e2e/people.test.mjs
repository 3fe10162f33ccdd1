// End to end in Chromium against a real Centralita: users (created with an extension and a
// voicemail box in one go, the SIP password shown once; edited), call history (filters,
// "More", CSV export) and voicemail (played in the browser, marked read, deleted). Call
// records and voicemail messages are seeded the way a switch node reports them.

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { ADMIN, PASSWORD, accessible, api, base, newPage, shot, signIn, tenantWithAdmin, token, useCentralita } from "./harness.mjs";
import { domainOf, nodeToken, postVoicemail } from "./switch.mjs";

useCentralita();


/** Whether a blob: URL no longer loads as audio (revoked). Audio, not fetch: the CSP lets
 * media, not connections, use blob: URLs. */
function blobGone(page, url) {
  return page.evaluate(
    (u) =>
      new Promise((done) => {
        const a = new Audio();
        a.onerror = () => done(true);
        a.onloadedmetadata = () => done(false);
        a.src = u;
      }),
    url,
  );
}

/** On a phone-sized screen: nothing wider than the screen (wide tables scroll in their own
 * region), still accessible; a screenshot for review. */
async function onPhone(page, name) {
  await page.setViewportSize({ width: 390, height: 844 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `${name}: the page is ${overflow}px wider than a phone`);
  await accessible(page, `${name}-phone`);
  await shot(page, `${name}-phone`);
  await page.setViewportSize({ width: 1280, height: 800 });
}

describe("people and calls in Chromium", () => {
  test("a tenant admin creates a user with extension and voicemail, sees the SIP password once, and edits the user", async () => {
    const admin = await token(ADMIN.email, ADMIN.password);
    const acme = await tenantWithAdmin(admin, "People Co");
    const acmeToken = await token(acme.email, PASSWORD);
    const page = await newPage();
    await signIn(page, acme.email);
    await page.getByRole("link", { name: "Users" }).click();
    await page.getByRole("heading", { name: "Users", level: 1 }).waitFor();
    // The admin who signed in is listed.
    await page.getByRole("link", { name: acme.email }).waitFor();

    // A bad e-mail: its error is shown at the field, and nothing at all is created (the
    // extension and box would have been made in the same call).
    const email = `luis-${Date.now()}@people.example.com`;
    await page.getByLabel("E-mail", { exact: true }).fill("luis.example.com");
    await page.getByLabel("Display name").fill("Luis");
    await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
    await page.getByLabel("Give this user an extension").check();
    await page.getByLabel("Extension number").fill("2001");
    await page.getByLabel("Give this user a voicemail box").check();
    await page.getByLabel("PIN").fill("4831");
    await page.getByLabel("E-mail new messages to").fill(email);
    await page.getByRole("button", { name: "Create" }).click();
    await page.locator("#f-email-error").waitFor();
    assert.equal(await page.getByLabel("E-mail", { exact: true }).getAttribute("aria-invalid"), "true");
    assert.equal(await page.getByLabel("Extension number").getAttribute("aria-invalid"), null);
    assert.equal(await page.getByTestId("secret").count(), 0);
    assert.equal((await api("GET", `/v1/tenants/${acme.id}/users`, acmeToken)).items.length, 1);
    assert.equal((await api("GET", `/v1/tenants/${acme.id}/extensions`, acmeToken)).items.length, 0);
    assert.equal((await api("GET", `/v1/tenants/${acme.id}/voicemail-boxes`, acmeToken)).items.length, 0);
    await accessible(page, "users-error");

    // Fixed: the user, the extension and the box in one go; the SIP password shown once.
    await page.getByLabel("E-mail", { exact: true }).fill(email);
    await page.getByRole("button", { name: "Create" }).click();
    const secret = page.getByTestId("secret");
    await secret.waitFor();
    const password = await secret.textContent();
    assert.ok(password && password.length >= 16, `SIP password shown: ${password}`);
    await page.getByRole("link", { name: email }).waitFor();
    // The form is blank again for the next user.
    assert.equal(await page.getByLabel("E-mail", { exact: true }).inputValue(), "");
    await accessible(page, "users");
    await shot(page, "users");
    await onPhone(page, "users");

    const users = (await api("GET", `/v1/tenants/${acme.id}/users`, acmeToken)).items;
    const luis = users.find((u) => u.email === email);
    assert.equal(luis?.role, "tenant_user");
    const exts = (await api("GET", `/v1/tenants/${acme.id}/extensions`, acmeToken)).items;
    const boxes = (await api("GET", `/v1/tenants/${acme.id}/voicemail-boxes`, acmeToken)).items;
    assert.equal(exts.length, 1);
    assert.equal(boxes.length, 1);
    assert.equal(exts[0].number, "2001");
    assert.equal(exts[0].display_name, "Luis", "the extension takes the user's name");
    assert.equal(exts[0].user_id, luis.id);
    assert.equal(boxes[0].mailbox, "2001", "the mailbox takes the extension's number");
    assert.deepEqual(boxes[0].emails, [email]);
    assert.equal(exts[0].voicemail_box_id, boxes[0].id);
    assert.ok(!JSON.stringify({ users, exts, boxes }).includes(password), "the SIP password is not readable again");

    // After a reload the password is gone for good.
    await page.reload();
    await page.getByRole("heading", { name: "Users", level: 1 }).waitFor();
    await page.getByRole("link", { name: email }).waitFor();
    assert.equal(await page.getByTestId("secret").count(), 0);
    assert.ok(!(await page.content()).includes(password));

    // Edit: rename and disable (If-Match with the loaded version).
    await page.getByRole("link", { name: email }).click();
    await page.getByRole("heading", { name: /Luis/, level: 1 }).waitFor();
    await page.getByLabel("Display name").fill("Luis Pérez");
    await page.getByLabel("Status").selectOption("disabled");
    await page.getByRole("button", { name: "Save" }).click();
    await page.getByRole("status").filter({ hasText: "Saved" }).waitFor();
    await accessible(page, "user");
    await shot(page, "user");
    const saved = await api("GET", `/v1/tenants/${acme.id}/users/${luis.id}`, acmeToken);
    assert.equal(saved.display_name, "Luis Pérez");
    assert.equal(saved.status, "disabled");
    assert.equal(saved.version, luis.version + 1);
    // A disabled user cannot sign in.
    await assert.rejects(token(email, PASSWORD));

    // A field error on edit is shown at the field, and nothing changes.
    await page.getByLabel("New password").fill("short");
    await page.getByRole("button", { name: "Save" }).click();
    await page.locator("#f-password-error").waitFor();
    assert.equal((await api("GET", `/v1/tenants/${acme.id}/users/${luis.id}`, acmeToken)).version, saved.version);
    assert.deepEqual(page.cspErrors(), []);

    // Another tenant's user (or none) is a not-found page, as is a deeper unknown path.
    const other = await tenantWithAdmin(admin, "Other People Co");
    const stranger = (await api("GET", `/v1/tenants/${other.id}/users`, admin)).items[0];
    await page.goto(`${base}/users/${stranger.id}`);
    await page.getByRole("heading", { name: "Not found" }).waitFor();
    assert.equal(await page.getByText(stranger.email).count(), 0);
    await page.goto(`${base}/users/${luis.id}/nothing`);
    await page.getByRole("heading", { name: "Not found" }).waitFor();
  });

  test("call history lists records, filters and pages them, and exports the filtered CSV", async () => {
    const admin = await token(ADMIN.email, ADMIN.password);
    const t = await tenantWithAdmin(admin, "Calls Co");
    const node = await nodeToken(admin);
    const domain = await domainOf(admin, t.id);
    const record = (id, direction, extension, started, disposition, secs) => {
      const start = new Date(started);
      const answered = disposition === "answered" ? new Date(start.getTime() + 5000) : null;
      return {
        call_id: `people-${id}`,
        leg: "a",
        domain,
        direction,
        caller: direction === "inbound" ? "+34911234567" : extension,
        destination: direction === "outbound" ? "34612345678" : extension,
        extension,
        started_at: start.toISOString(),
        answered_at: answered?.toISOString() ?? null,
        ended_at: new Date((answered ?? start).getTime() + secs * 1000).toISOString(),
        hangup_cause: disposition === "busy" ? "USER_BUSY" : disposition === "no_answer" ? "NO_ANSWER" : "NORMAL_CLEARING",
        disposition,
      };
    };
    // 52 answered inbound calls on 2 March (more than one page), 3 busy outbound ones on
    // 5 March, one unanswered internal call on 10 April; midday, whatever the time zone.
    const cdrs = [];
    for (let i = 0; i < 52; i++) cdrs.push(record(`in-${i}`, "inbound", "2001", Date.UTC(2026, 2, 2, 11, i), "answered", 30 + i));
    for (let i = 0; i < 3; i++) cdrs.push(record(`out-${i}`, "outbound", "2002", Date.UTC(2026, 2, 5, 12, i), "busy", 0));
    cdrs.push(record("int-0", "internal", "2002", Date.UTC(2026, 3, 10, 12, 0), "no_answer", 0));
    const report = await api("POST", "/v1/switch/cdrs", node, { cdrs });
    assert.deepEqual(
      report.results.filter((r) => r.outcome !== "stored"),
      [],
      "every record is stored",
    );

    const page = await newPage();
    await signIn(page, t.email);
    await page.getByRole("link", { name: "Call history" }).click();
    await page.getByRole("heading", { name: "Call history", level: 1 }).waitFor();
    const rows = page.locator("tbody tr");
    const rowCount = async (n) => {
      await page.waitForFunction((want) => document.querySelectorAll("tbody tr").length === want, n);
      return rows.count();
    };
    // One page of 50, then "More" loads the rest.
    assert.equal(await rowCount(50), 50);
    await page.getByRole("button", { name: "More" }).click();
    assert.equal(await rowCount(56), 56);
    assert.equal(await page.getByRole("button", { name: "More" }).count(), 0);
    await accessible(page, "calls");
    await shot(page, "calls");

    // Direction: the three outbound calls, all busy.
    await page.getByLabel("Direction").selectOption("outbound");
    await page.getByRole("button", { name: "Filter" }).click();
    assert.equal(await rowCount(3), 3);
    for (const text of await rows.allTextContents()) assert.match(text, /Outbound.*Busy/);

    // Export the same filters: a CSV with the header and the three records.
    const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Export CSV" }).click()]);
    assert.match(download.suggestedFilename(), /^calls-.*\.csv$/);
    const csv = readFileSync(await download.path(), "utf8").trim().split("\n");
    assert.equal(csv.length, 4, csv.join("\n"));
    assert.match(csv[0], /^id,call_id,leg,direction/);
    assert.ok(csv.slice(1).every((line) => line.includes("outbound")), csv.join("\n"));

    // Extension and result: the internal call of 2002 that nobody answered.
    await page.getByLabel("Direction").selectOption("");
    await page.getByLabel("Result").selectOption("no_answer");
    await page.getByLabel("Extension", { exact: true }).fill("2002");
    await page.getByRole("button", { name: "Filter" }).click();
    assert.equal(await rowCount(1), 1);
    assert.match(await rows.first().textContent(), /Internal.*No answer/);

    // Dates: the whole of 5 March (the "to" day included).
    await page.getByRole("button", { name: "Clear" }).click();
    assert.equal(await rowCount(50), 50);
    await page.getByLabel("From", { exact: true }).fill("2026-03-05");
    await page.getByLabel("To", { exact: true }).fill("2026-03-05");
    await page.getByRole("button", { name: "Filter" }).click();
    assert.equal(await rowCount(3), 3);

    // A period that ends before it starts: the API's error at the "to" field.
    await page.getByLabel("From", { exact: true }).fill("2026-04-10");
    await page.getByLabel("To", { exact: true }).fill("2026-04-01");
    await page.getByRole("button", { name: "Filter" }).click();
    await page.locator("#f-to-error").waitFor();
    assert.equal(await page.getByLabel("To", { exact: true }).getAttribute("aria-invalid"), "true");
    await accessible(page, "calls-filtered");
    await onPhone(page, "calls");
    assert.deepEqual(page.cspErrors(), []);
  });

  test("voicemail messages are played in the browser, marked read and deleted after confirming", async () => {
    const admin = await token(ADMIN.email, ADMIN.password);
    const t = await tenantWithAdmin(admin, "Voicemail Co");
    const tt = await token(t.email, PASSWORD);
    await api("POST", `/v1/tenants/${t.id}/users`, tt, {
      email: `ana-${Date.now()}@voicemail.example.com`,
      display_name: "Ana",
      role: "tenant_user",
      password: PASSWORD,
      extension: { number: "3001", display_name: "Ana" },
      voicemail: { mailbox: "3001", pin: "4831", emails: [] },
    });
    const node = await nodeToken(admin);
    const domain = await domainOf(admin, t.id);
    const now = Date.now();
    const first = await postVoicemail(node, {
      domain,
      mailbox: "3001",
      caller_number: "+34911234567",
      caller_name: "Ana García",
      duration_secs: 65,
      received_at: new Date(now - 3600_000).toISOString(),
    });
    await postVoicemail(node, {
      domain,
      mailbox: "3001",
      caller_number: "+34917654321",
      caller_name: "Pedro Ruiz",
      duration_secs: 12,
      received_at: new Date(now - 60_000).toISOString(),
    });
    const box = first.box_id;
    const messages = async () => (await api("GET", `/v1/tenants/${t.id}/voicemail-boxes/${box}/messages`, tt)).items;

    const page = await newPage();
    await signIn(page, t.email);
    await page.getByRole("navigation", { name: "Menu" }).getByRole("link", { name: "Voicemail", exact: true }).click();
    await page.getByRole("heading", { name: "Voicemail boxes", level: 1 }).waitFor();
    await accessible(page, "voicemail");
    await shot(page, "voicemail");
    await page.getByRole("link", { name: /3001/ }).click();
    await page.getByRole("heading", { name: "Mailbox 3001", level: 1 }).waitFor();
    const ana = page.locator("tr", { hasText: "Ana García" });
    await ana.waitFor();
    assert.match(await ana.textContent(), /\+34911234567.*1:05.*New/);

    // Play: the audio comes through the session into a blob: URL, and really loads.
    await ana.getByRole("button", { name: /^Play/ }).click();
    const audio = page.locator("audio");
    await audio.waitFor();
    const src = await audio.getAttribute("src");
    assert.match(src, /^blob:/);
    await page.waitForFunction(() => {
      const a = document.querySelector("audio");
      return a !== null && a.readyState >= 1 && Math.abs(a.duration - 1) < 0.1;
    });
    assert.equal(await blobGone(page, src), false, "a live blob: URL loads (the check can tell)");
    await accessible(page, "voicemail-box");
    await shot(page, "voicemail-box");
    await onPhone(page, "voicemail-box");

    // Mark read, and back to unread.
    await ana.getByRole("button", { name: /^Mark read/ }).click();
    await ana.getByRole("button", { name: /^Mark unread/ }).waitFor();
    assert.equal((await messages()).find((m) => m.id === first.id).read, true);
    await ana.getByRole("button", { name: /^Mark unread/ }).click();
    await ana.getByRole("button", { name: /^Mark read/ }).waitFor();
    assert.equal((await messages()).find((m) => m.id === first.id).read, false);

    // Delete asks first: cancelling keeps the message.
    await ana.getByRole("button", { name: /^Delete/ }).click();
    await ana.getByText("Delete this message for good?").waitFor();
    await ana.getByRole("button", { name: "Cancel" }).click();
    assert.equal((await messages()).length, 2);
    await ana.getByRole("button", { name: /^Delete/ }).click();
    await ana.getByRole("button", { name: /^Yes, delete/ }).click();
    await page.getByRole("status").filter({ hasText: "Message deleted" }).waitFor();
    await ana.waitFor({ state: "detached" });
    const left = await messages();
    assert.deepEqual(
      left.map((m) => m.caller_id_name),
      ["Pedro Ruiz"],
    );
    // The message being played was deleted: its player is gone and its blob: URL revoked.
    assert.equal(await page.locator("audio").count(), 0);
    assert.equal(await blobGone(page, src), true, "the blob: URL was revoked");
    await page.locator("tr", { hasText: "Pedro Ruiz" }).waitFor();

    // In Spanish, the same page and its actions.
    await page.getByLabel("Language").selectOption("es");
    await page.getByRole("heading", { name: "Buzón 3001", level: 1 }).waitFor();
    const pedro = page.locator("tr", { hasText: "Pedro Ruiz" });
    await pedro.getByRole("button", { name: /^Marcar como leído/ }).click();
    await pedro.getByText("Leído", { exact: true }).waitFor();
    await accessible(page, "voicemail-box-es");
    await shot(page, "voicemail-box-es");
    assert.deepEqual(page.cspErrors(), []);
  });
});
