// End to end in Chromium against a real Centralita: a tenant user's own voicemail
// (`/me/voicemail`) and call history (`/me/calls`). Two users of one tenant, each with a
// phone and a box; messages and call records are seeded the way a switch node reports them,
// and each user must see their own and never the other's, in the page and through the API.

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ADMIN, PASSWORD, accessible, api, base, newPage, shot, signIn, tenantWithAdmin, token, useCentralita } from "./harness.mjs";
import { domainOf, nodeToken, postVoicemail } from "./switch.mjs";

useCentralita();


/** The HTTP status of a request (for the refusals `api()` would throw on). */
async function status(method, path, bearer, body) {
  const res = await fetch(base + path, {
    method,
    headers: { "content-type": "application/json", authorization: `Bearer ${bearer}` },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  await res.arrayBuffer();
  return res.status;
}

/** On a phone-sized screen: nothing wider than the screen, still accessible; a screenshot. */
async function onPhone(page, name) {
  await page.setViewportSize({ width: 390, height: 844 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `${name}: the page is ${overflow}px wider than a phone`);
  await accessible(page, `${name}-phone`);
  await shot(page, `${name}-phone`);
  await page.setViewportSize({ width: 1280, height: 800 });
}

/** Waits until the page's table has `n` body rows, all matching `like` when given (a list
 * of one row replaced by another of one row needs it), and answers their texts. */
async function rowsOf(page, n, like = /./) {
  await page.waitForFunction(
    ([want, source, flags]) => {
      const rows = [...document.querySelectorAll("tbody tr")];
      const re = new RegExp(source, flags);
      return rows.length === want && rows.every((r) => re.test(r.textContent ?? ""));
    },
    [n, like.source, like.flags],
  );
  return page.locator("tbody tr").allTextContents();
}

describe("a tenant user's own voicemail and calls in Chromium", () => {
  test("each user sees, plays, marks and deletes only their own messages, and sees only their own calls", async () => {
    const admin = await token(ADMIN.email, ADMIN.password);
    const t = await tenantWithAdmin(admin, "Self Service Co");
    const tt = await token(t.email, PASSWORD);
    const stamp = Date.now();

    // User A: a box made on its own, then a phone assigned to A that uses it.
    const boxA = await api("POST", `/v1/tenants/${t.id}/voicemail-boxes`, tt, { mailbox: "5001", pin: "4831", emails: [] });
    const emailA = `alicia-${stamp}@self.example.com`;
    const userA = await api("POST", `/v1/tenants/${t.id}/users`, tt, {
      email: emailA,
      display_name: "Alicia",
      role: "tenant_user",
      password: PASSWORD,
    });
    const extA = await api("POST", `/v1/tenants/${t.id}/extensions`, tt, {
      number: "5001",
      display_name: "Alicia",
      user_id: userA.id,
      voicemail_box_id: boxA.id,
    });
    assert.equal(extA.user_id, userA.id);
    assert.equal(extA.voicemail_box_id, boxA.id);
    // User B: phone and another box made with the user in one go.
    const emailB = `bruno-${stamp}@self.example.com`;
    const userB = await api("POST", `/v1/tenants/${t.id}/users`, tt, {
      email: emailB,
      display_name: "Bruno",
      role: "tenant_user",
      password: PASSWORD,
      extension: { number: "5002", display_name: "Bruno" },
      voicemail: { mailbox: "5002", pin: "7395", emails: [] },
    });
    assert.equal(userB.extension.voicemail_box_id, userB.voicemail_box.id);
    assert.notEqual(userB.voicemail_box.id, boxA.id);
    // A phone nobody has: its calls are the tenant's, neither user's.
    await api("POST", `/v1/tenants/${t.id}/extensions`, tt, { number: "5003", display_name: "Recepción" });

    const node = await nodeToken(admin);
    const domain = await domainOf(admin, t.id);
    const ago = (secs) => new Date(stamp - secs * 1000).toISOString();
    const carmen = await postVoicemail(node, {
      domain,
      mailbox: "5001",
      caller_number: "+34911111111",
      caller_name: "Carmen López",
      duration_secs: 42,
      received_at: ago(7200),
    });
    const diego = await postVoicemail(node, {
      domain,
      mailbox: "5001",
      caller_number: "+34922222222",
      caller_name: "Diego Martín",
      duration_secs: 9,
      received_at: ago(3600),
    });
    const secret = await postVoicemail(node, {
      domain,
      mailbox: "5002",
      caller_number: "+34933333333",
      caller_name: "Beatriz Secreta",
      duration_secs: 20,
      received_at: ago(1800),
    });
    assert.equal(carmen.box_id, boxA.id);
    assert.equal(secret.box_id, userB.voicemail_box.id);

    const cdr = (id, direction, caller, destination, extension, minutesAgo, disposition) => {
      const start = new Date(stamp - minutesAgo * 60_000);
      const answered = disposition === "answered" ? new Date(start.getTime() + 4000) : null;
      return {
        call_id: `self-${id}-${stamp}`,
        leg: "a",
        domain,
        direction,
        caller,
        destination,
        extension,
        started_at: start.toISOString(),
        answered_at: answered?.toISOString() ?? null,
        ended_at: new Date((answered ?? start).getTime() + 30_000).toISOString(),
        hangup_cause: disposition === "busy" ? "USER_BUSY" : disposition === "no_answer" ? "NO_ANSWER" : "NORMAL_CLEARING",
        disposition,
      };
    };
    const report = await api("POST", "/v1/switch/cdrs", node, {
      cdrs: [
        // A's: an inbound call to A, an outbound one from A, and B calling A (A is only the
        // destination: the record's extension is B's).
        cdr("a-in", "inbound", "+34911111111", "5001", "5001", 300, "answered"),
        cdr("a-out", "outbound", "5001", "34612345678", "5001", 200, "busy"),
        cdr("b-to-a", "internal", "5002", "5001", "5002", 100, "answered"),
        // B's alone, and reception's.
        cdr("b-in", "inbound", "+34944444444", "5002", "5002", 250, "answered"),
        cdr("b-out", "outbound", "5002", "34698765432", "5002", 150, "no_answer"),
        cdr("r-in", "inbound", "+34955555555", "5003", "5003", 50, "answered"),
      ],
    });
    assert.deepEqual(
      report.results.filter((r) => r.outcome !== "stored"),
      [],
      "every record is stored",
    );

    // Through the API first: what each user owns.
    const ta = await token(emailA, PASSWORD);
    const tb = await token(emailB, PASSWORD);
    const myMessages = async (bearer) => (await api("GET", "/v1/me/voicemail-messages", bearer)).items;
    assert.deepEqual(
      (await myMessages(ta)).map((m) => m.caller_id_name),
      ["Carmen López", "Diego Martín"],
    );
    assert.deepEqual(
      (await myMessages(tb)).map((m) => m.caller_id_name),
      ["Beatriz Secreta"],
    );
    const callsOfA = (await api("GET", "/v1/me/cdrs", ta)).items;
    assert.deepEqual(callsOfA.map((c) => c.call_id.split("-").slice(1, -1).join("-")).sort(), ["a-in", "a-out", "b-to-a"]);
    // The tenant admin has no phone: "my" voicemail and calls are empty, not the tenant's.
    assert.deepEqual(await myMessages(tt), []);
    assert.deepEqual((await api("GET", "/v1/me/cdrs", tt)).items, []);
    // Someone else's message is not there for A, whatever A asks.
    assert.equal(await status("GET", `/v1/me/voicemail-messages/${secret.id}/audio`, ta), 404);
    assert.equal(await status("PATCH", `/v1/me/voicemail-messages/${secret.id}`, ta, { read: true }), 404);
    assert.equal(await status("DELETE", `/v1/me/voicemail-messages/${secret.id}`, ta), 404);

    // In Chromium, as A: the nav has the user's pages and no admin ones.
    const page = await newPage();
    await signIn(page, emailA);
    assert.equal(await page.getByRole("link", { name: "Voicemail", exact: true }).count(), 0);
    assert.equal(await page.getByRole("link", { name: "Call history" }).count(), 0);
    await page.getByRole("link", { name: "My voicemail" }).click();
    await page.getByRole("heading", { name: "My voicemail", level: 1 }).waitFor();
    const rows = await rowsOf(page, 2);
    assert.match(rows[0], /Carmen López.*\+34911111111.*0:42.*New/);
    assert.match(rows[1], /Diego Martín.*\+34922222222.*0:09.*New/);
    assert.equal(await page.getByText("Beatriz Secreta").count(), 0, "B's message is not on A's page");
    assert.equal(await page.getByText("+34933333333").count(), 0);

    // Play: the audio comes through the session into a blob: URL, and really loads.
    const carmenRow = page.locator("tr", { hasText: "Carmen López" });
    await carmenRow.getByRole("button", { name: /^Play/ }).click();
    const audio = page.locator("audio");
    await audio.waitFor();
    assert.match(await audio.getAttribute("src"), /^blob:/);
    await page.waitForFunction(() => {
      const a = document.querySelector("audio");
      return a !== null && a.readyState >= 1 && Math.abs(a.duration - 1) < 0.1;
    });
    await page.getByRole("region", { name: /Carmen López/ }).waitFor();

    // Mark read: the page shows it and the API (as A) agrees.
    await carmenRow.getByRole("button", { name: /^Mark read/ }).click();
    await carmenRow.getByRole("button", { name: /^Mark unread/ }).waitFor();
    assert.equal(await carmenRow.locator("td").nth(3).textContent(), "Read");
    assert.equal((await myMessages(ta)).find((m) => m.id === carmen.id).read, true);
    await accessible(page, "my-voicemail");
    await shot(page, "my-voicemail");

    // "Unread only" leaves Diego's.
    await page.getByLabel("Show").selectOption("unread");
    await rowsOf(page, 1, /Diego Martín/);
    await page.getByLabel("Show").selectOption("all");
    await rowsOf(page, 2);

    // Delete asks first; cancelling keeps the message, confirming deletes it.
    const diegoRow = page.locator("tr", { hasText: "Diego Martín" });
    await diegoRow.getByRole("button", { name: /^Delete/ }).click();
    await diegoRow.getByText("Delete this message for good?").waitFor();
    await diegoRow.getByRole("button", { name: "Cancel" }).click();
    assert.equal((await myMessages(ta)).length, 2);
    await diegoRow.getByRole("button", { name: /^Delete/ }).click();
    await diegoRow.getByRole("button", { name: /^Yes, delete/ }).click();
    await page.getByRole("status").filter({ hasText: "Message deleted" }).waitFor();
    await diegoRow.waitFor({ state: "detached" });
    // The message being played was not the one deleted: it still plays.
    assert.equal(await page.locator("audio").count(), 1);
    assert.deepEqual(
      (await myMessages(ta)).map((m) => m.id),
      [carmen.id],
    );
    assert.equal(await status("GET", `/v1/me/voicemail-messages/${diego.id}/audio`, ta), 404);
    // The box's own list (the tenant admin's view) agrees; B's message is untouched.
    const boxMessages = (await api("GET", `/v1/tenants/${t.id}/voicemail-boxes/${boxA.id}/messages`, tt)).items;
    assert.deepEqual(
      boxMessages.map((m) => m.id),
      [carmen.id],
    );
    assert.deepEqual(
      (await myMessages(tb)).map((m) => [m.id, m.read]),
      [[secret.id, false]],
    );
    await onPhone(page, "my-voicemail");

    // My calls: A's three, not B's nor reception's; no charge column, no export.
    await page.getByRole("link", { name: "My calls" }).click();
    await page.getByRole("heading", { name: "My calls", level: 1 }).waitFor();
    const calls = await rowsOf(page, 3);
    const all = calls.join("\n");
    assert.match(all, /\+34911111111/);
    assert.match(all, /34612345678/);
    assert.ok(calls.some((r) => /Internal.*5002.*5001/.test(r)), all);
    for (const foreign of ["+34944444444", "34698765432", "+34955555555"]) assert.ok(!all.includes(foreign), `${foreign} is not A's call`);
    const headers = await page.locator("thead th").allTextContents();
    assert.ok(headers.includes("Direction"), headers.join(", "));
    assert.ok(!headers.includes("Charge"), `no charge column: ${headers.join(", ")}`);
    assert.equal(await page.getByRole("button", { name: "Export CSV" }).count(), 0);
    await accessible(page, "my-calls");
    await shot(page, "my-calls");

    // The direction filter: A's one outbound call, then the inbound one.
    await page.getByLabel("Direction").selectOption("outbound");
    await page.getByRole("button", { name: "Filter" }).click();
    assert.match((await rowsOf(page, 1))[0], /Outbound.*5001.*34612345678.*Busy/);
    await page.getByLabel("Direction").selectOption("inbound");
    await page.getByRole("button", { name: "Filter" }).click();
    assert.match((await rowsOf(page, 1, /Inbound/))[0], /Inbound.*\+34911111111.*5001.*Answered/);
    await page.getByRole("button", { name: "Clear" }).click();
    await rowsOf(page, 3);
    await onPhone(page, "my-calls");

    // In Spanish, both pages.
    await page.getByLabel("Language").selectOption("es");
    await page.getByRole("heading", { name: "Mis llamadas", level: 1 }).waitFor();
    await page.getByLabel("Sentido").selectOption("outbound");
    await page.getByRole("button", { name: "Filtrar" }).click();
    await rowsOf(page, 1, /Saliente/);
    await accessible(page, "my-calls-es");
    await shot(page, "my-calls-es");
    await page.getByRole("link", { name: "Mi buzón de voz" }).click();
    await page.getByRole("heading", { name: "Mi buzón de voz", level: 1 }).waitFor();
    const carmenEs = page.locator("tr", { hasText: "Carmen López" });
    await carmenEs.getByText("Leído", { exact: true }).waitFor();
    await carmenEs.getByRole("button", { name: /^Marcar como no leído/ }).waitFor();
    await accessible(page, "my-voicemail-es");
    await shot(page, "my-voicemail-es");
    assert.deepEqual(page.cspErrors(), []);

    // B types the address: B's own message, none of A's.
    const pageB = await newPage();
    await signIn(pageB, emailB);
    await pageB.goto(`${base}/me/voicemail`);
    await pageB.getByRole("heading", { name: "My voicemail", level: 1 }).waitFor();
    assert.match((await rowsOf(pageB, 1))[0], /Beatriz Secreta/);
    assert.equal(await pageB.getByText("Carmen López").count(), 0, "A's message is not on B's page");
    assert.equal(await pageB.getByText("Diego Martín").count(), 0);
    // And B's calls are B's: the two of B's own and the one B made to A.
    await pageB.goto(`${base}/me/calls`);
    await pageB.getByRole("heading", { name: "My calls", level: 1 }).waitFor();
    const callsB = (await rowsOf(pageB, 3)).join("\n");
    assert.ok(!callsB.includes("+34911111111") && !callsB.includes("34612345678"), callsB);
    assert.deepEqual(pageB.cspErrors(), []);
  });
});
