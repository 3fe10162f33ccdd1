// End to end in Chromium: a tenant admin builds a call queue of two extensions with a
// timeout destination, and a conference room with a PIN, in the web app; the API then holds
// exactly that, the PIN never appears in the page, and a taken number is refused at the
// field with nothing created.

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ADMIN, PASSWORD, accessible, api, base, newPage, shot, signIn, tenantWithAdmin, token, useCentralita } from "./harness.mjs";

useCentralita();

describe("queues and conferences in the web app", () => {
  test("a queue with two agents and a timeout destination; a conference with a PIN", async () => {
    const admin = await token(ADMIN.email, ADMIN.password);
    const t = await tenantWithAdmin(admin, "Colas SL");
    const tt = await token(t.email, PASSWORD);
    const ana = await api("POST", `/v1/tenants/${t.id}/extensions`, tt, { number: "1001", display_name: "Ana" });
    const bruno = await api("POST", `/v1/tenants/${t.id}/extensions`, tt, { number: "1002", display_name: "Bruno" });

    const page = await newPage();
    await signIn(page, t.email);

    // ── Queue ───────────────────────────────────────────────────────────────────────────
    await page.goto(base + "/queues");
    await page.getByRole("heading", { name: "Queues", level: 1 }).waitFor();
    await page.getByText("Nothing yet.").waitFor();
    await page.getByRole("link", { name: "New queue" }).click();
    await page.getByRole("heading", { name: "New queue", level: 1 }).waitFor();
    await page.getByLabel("Number", { exact: true }).fill("700");
    await page.getByLabel("Name", { exact: true }).fill("Soporte");
    await page.getByLabel("Strategy").selectOption("longest_idle");
    const agent1 = page.getByRole("group", { name: "Agent 1" });
    await agent1.getByLabel("Search").fill("ana");
    await agent1.getByLabel("Extension", { exact: true }).selectOption({ label: "1001 · Ana" });
    await page.getByRole("button", { name: "Add agent" }).click();
    const agent2 = page.getByRole("group", { name: "Agent 2" });
    await agent2.getByLabel("Extension", { exact: true }).selectOption({ label: "1002 · Bruno" });
    await agent2.getByLabel("Tier").fill("2");
    await page.getByLabel("Maximum wait (seconds)").fill("120");
    const timeout = page.getByRole("group", { name: "When the wait is over" });
    await timeout.getByLabel("Kind").selectOption("extension");
    await timeout.getByLabel("Extension", { exact: true }).selectOption({ label: "1002 · Bruno" });
    await accessible(page, "queue-new");
    await shot(page, "queue-new");
    await page.getByRole("button", { name: "Create" }).click();
    await page.getByRole("heading", { name: "700 · Soporte", level: 1 }).waitFor();

    const queues = (await api("GET", `/v1/tenants/${t.id}/queues`, tt)).items;
    assert.equal(queues.length, 1);
    const queue = queues[0];
    assert.equal(queue.strategy, "longest_idle");
    assert.equal(queue.max_wait_seconds, 120);
    assert.deepEqual(
      queue.agents.map((a) => [a.extension_id, a.tier]),
      [
        [ana.id, 1],
        [bruno.id, 2],
      ],
    );
    assert.deepEqual(queue.timeout_destination, { type: "extension", id: bruno.id });
    assert.ok(page.url().endsWith(`/queues/${queue.id}`), page.url());
    await accessible(page, "queue");
    await shot(page, "queue");

    // An edit (PATCH with If-Match): the first agent goes.
    await page.getByRole("button", { name: "Remove Agent 1" }).click();
    await page.getByRole("button", { name: "Save" }).click();
    await page.getByRole("status").filter({ hasText: "Saved" }).waitFor();
    const edited = await api("GET", `/v1/tenants/${t.id}/queues/${queue.id}`, tt);
    assert.deepEqual(edited.agents, [{ extension_id: bruno.id, tier: 2 }]);
    assert.equal(edited.version, queue.version + 1);

    await page.getByRole("link", { name: "Back to the list" }).click();
    await page.getByRole("heading", { name: "Queues", level: 1 }).waitFor();
    await page.getByRole("cell", { name: "Extension 1002 · Bruno" }).waitFor();
    await accessible(page, "queues");
    await shot(page, "queues");

    // ── Conference ──────────────────────────────────────────────────────────────────────
    const PIN = "482913";
    await page.goto(base + "/conferences");
    await page.getByRole("heading", { name: "Conferences", level: 1 }).waitFor();
    await page.getByText("Nothing yet.").waitFor();
    await accessible(page, "conferences-empty");
    await page.getByRole("link", { name: "New conference" }).click();
    await page.getByRole("heading", { name: "New conference", level: 1 }).waitFor();
    // The queue's number: refused at the number field, nothing created.
    await page.getByLabel("Number", { exact: true }).fill("700");
    await page.getByLabel("Name", { exact: true }).fill("Sala grande");
    await page.getByLabel("PIN", { exact: true }).fill(PIN);
    await page.getByLabel("Maximum participants").fill("20");
    await page.getByRole("button", { name: "Create" }).click();
    const numberError = page.locator("#f-number-error");
    await numberError.waitFor();
    assert.ok((await numberError.textContent()).length > 0);
    assert.equal(await page.getByLabel("Number", { exact: true }).getAttribute("aria-invalid"), "true");
    await page.getByRole("alert").waitFor();
    assert.equal((await api("GET", `/v1/tenants/${t.id}/conferences`, tt)).items.length, 0, "nothing created on a taken number");
    await accessible(page, "conference-new");
    await shot(page, "conference-new");

    await page.getByLabel("Number", { exact: true }).fill("800");
    await page.getByRole("button", { name: "Create" }).click();
    await page.getByRole("heading", { name: "800 · Sala grande", level: 1 }).waitFor();
    const rooms = (await api("GET", `/v1/tenants/${t.id}/conferences`, tt)).items;
    assert.equal(rooms.length, 1);
    assert.equal(rooms[0].has_pin, true);
    assert.equal(rooms[0].has_moderator_pin, false);
    assert.equal(rooms[0].max_members, 20);
    assert.ok(!JSON.stringify(rooms[0]).includes(PIN), "the API never returns the PIN");
    await page.getByText("A PIN is set.").waitFor();
    assert.equal(await page.getByLabel("PIN", { exact: true }).inputValue(), "", "the PIN is not shown again");
    assert.ok(!(await page.content()).includes(PIN), "the PIN is nowhere in the page");
    await accessible(page, "conference");
    await shot(page, "conference");

    // Saving with the PIN field blank keeps the PIN.
    await page.getByLabel("Name", { exact: true }).fill("Sala principal");
    await page.getByRole("button", { name: "Save" }).click();
    await page.getByRole("status").filter({ hasText: "Saved" }).waitFor();
    const kept = await api("GET", `/v1/tenants/${t.id}/conferences/${rooms[0].id}`, tt);
    assert.equal(kept.name, "Sala principal");
    assert.equal(kept.has_pin, true);

    await page.getByRole("link", { name: "Back to the list" }).click();
    await page.getByRole("heading", { name: "Conferences", level: 1 }).waitFor();
    const row = page.getByRole("row", { name: /800/ });
    await row.getByRole("cell", { name: "Yes" }).waitFor();
    assert.ok(!(await page.content()).includes(PIN));
    await accessible(page, "conferences");
    await shot(page, "conferences");

    // Delete, asked twice.
    await page.getByRole("link", { name: "800" }).click();
    await page.getByRole("button", { name: "Delete 800 · Sala principal" }).click();
    await page.getByRole("button", { name: "Yes, delete" }).click();
    await page.getByRole("heading", { name: "Conferences", level: 1 }).waitFor();
    assert.equal((await api("GET", `/v1/tenants/${t.id}/conferences`, tt)).items.length, 0);

    assert.deepEqual(page.cspErrors(), []);
    await page.context().close();
  });
});
