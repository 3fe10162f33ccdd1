// End to end in Chromium: a tenant admin builds a call flow in the web app (a ring group of
// two extensions, an IVR menu whose key 1 rings that group, with an uploaded greeting, and a
// claimed number routed to the menu), and the switch's route plan for a call to that number
// is the menu. Bad input on the way shows the API's error at the field and creates nothing.

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { ADMIN, PASSWORD, accessible, api, base, newPage, shot, signIn, tenantWithAdmin, token, useCentralita } from "./harness.mjs";

useCentralita();

/** A WAV file: 8 kHz mono 16-bit PCM, `seconds` of a 440 Hz tone. */
function wav(seconds = 0.5) {
  const rate = 8000;
  const samples = Math.round(rate * seconds);
  const data = samples * 2;
  const b = Buffer.alloc(44 + data);
  b.write("RIFF", 0, "ascii");
  b.writeUInt32LE(36 + data, 4);
  b.write("WAVE", 8, "ascii");
  b.write("fmt ", 12, "ascii");
  b.writeUInt32LE(16, 16); // fmt chunk size
  b.writeUInt16LE(1, 20); // PCM
  b.writeUInt16LE(1, 22); // mono
  b.writeUInt32LE(rate, 24);
  b.writeUInt32LE(rate * 2, 28); // byte rate
  b.writeUInt16LE(2, 32); // block align
  b.writeUInt16LE(16, 34); // bits per sample
  b.write("data", 36, "ascii");
  b.writeUInt32LE(data, 40);
  for (let i = 0; i < samples; i++) b.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / rate)), 44 + i * 2);
  return b;
}

const DID = "+34911234567";

describe("call flow in the web app", () => {
  test("ring group → IVR menu with a recorded greeting → claimed number, and the switch routes the number to the menu", async () => {
    const admin = await token(ADMIN.email, ADMIN.password);
    const t = await tenantWithAdmin(admin, "Flujo SL");
    const tt = await token(t.email, PASSWORD);
    const ana = await api("POST", `/v1/tenants/${t.id}/extensions`, tt, { number: "1001", display_name: "Ana" });
    const bruno = await api("POST", `/v1/tenants/${t.id}/extensions`, tt, { number: "1002", display_name: "Bruno" });
    // The platform's side: a carrier trunk the number arrives on, and the number in stock,
    // priced in the tenant's currency.
    const { currency } = await api("GET", `/v1/tenants/${t.id}/billing-account`, admin);
    const trunk = await api("POST", "/v1/trunks", admin, { name: `Carrier ${Date.now()}`, host: "sip.carrier.example" });
    await api("POST", "/v1/dids", admin, { number: DID, carrier_trunk_id: trunk.id, currency, monthly_fee: "1.50" });

    const page = await newPage();
    await signIn(page, t.email);

    // ── Ring group ──────────────────────────────────────────────────────────────────────
    await page.getByRole("link", { name: "Ring groups" }).click();
    await page.getByRole("heading", { name: "Ring groups", level: 1 }).waitFor();
    await page.getByText("Nothing yet.").waitFor();
    await page.getByRole("link", { name: "New ring group" }).click();
    await page.getByRole("heading", { name: "New ring group", level: 1 }).waitFor();
    // A number an extension already has: the API's error at the number field.
    await page.getByLabel("Number", { exact: true }).fill("1001");
    await page.getByLabel("Name", { exact: true }).fill("Ventas");
    await page.getByLabel("Ring strategy").selectOption("sequential");
    const member1 = page.getByRole("group", { name: "Member 1" });
    await member1.getByLabel("Search").fill("ana");
    await member1.getByLabel("Extension", { exact: true }).selectOption({ label: "1001 · Ana" });
    await page.getByRole("button", { name: "Add member" }).click();
    const member2 = page.getByRole("group", { name: "Member 2" });
    await member2.getByLabel("Extension", { exact: true }).selectOption({ label: "1002 · Bruno" });
    await member2.getByLabel("Starts ringing after (seconds)").fill("10");
    await page.getByRole("button", { name: "Create" }).click();
    const numberError = page.locator("#f-number-error");
    await numberError.waitFor();
    assert.match(await numberError.textContent(), /is used by extension/);
    assert.equal(await page.getByLabel("Number", { exact: true }).getAttribute("aria-invalid"), "true");
    await page.getByRole("alert").waitFor();
    assert.equal((await api("GET", `/v1/tenants/${t.id}/ring-groups`, tt)).items.length, 0, "nothing created on bad input");
    await accessible(page, "ring-group-new");
    await shot(page, "ring-group-new");

    await page.getByLabel("Number", { exact: true }).fill("600");
    await page.getByRole("button", { name: "Create" }).click();
    await page.getByRole("heading", { name: "600 · Ventas", level: 1 }).waitFor();
    const groups = (await api("GET", `/v1/tenants/${t.id}/ring-groups`, tt)).items;
    assert.equal(groups.length, 1);
    const group = groups[0];
    assert.equal(group.strategy, "sequential");
    assert.deepEqual(
      group.members.map((m) => [m.target.id, m.delay_seconds]),
      [
        [ana.id, 0],
        [bruno.id, 10],
      ],
    );
    assert.deepEqual(group.fallback, { type: "hangup" });
    assert.ok(page.url().endsWith(`/ring-groups/${group.id}`), page.url());
    await accessible(page, "ring-group");
    await shot(page, "ring-group");

    // An edit: the fallback becomes extension 1001 (PATCH with If-Match).
    const fallback = page.getByRole("group", { name: "If nobody answers" });
    await fallback.getByLabel("Kind").selectOption("extension");
    await fallback.getByLabel("Extension", { exact: true }).selectOption({ label: "1001 · Ana" });
    await page.getByRole("button", { name: "Save" }).click();
    await page.getByRole("status").filter({ hasText: "Saved" }).waitFor();
    const edited = await api("GET", `/v1/tenants/${t.id}/ring-groups/${group.id}`, tt);
    assert.deepEqual(edited.fallback, { type: "extension", id: ana.id });
    assert.equal(edited.version, group.version + 1);

    await page.getByRole("link", { name: "Back to the list" }).click();
    await page.getByRole("heading", { name: "Ring groups", level: 1 }).waitFor();
    await page.getByRole("cell", { name: "Extension 1001 · Ana" }).waitFor();
    await accessible(page, "ring-groups");
    await shot(page, "ring-groups");

    // ── IVR menu ────────────────────────────────────────────────────────────────────────
    await page.getByRole("link", { name: "IVR menus" }).click();
    await page.getByRole("heading", { name: "IVR menus", level: 1 }).waitFor();
    await page.getByRole("link", { name: "New IVR menu" }).click();
    await page.getByRole("heading", { name: "New IVR menu", level: 1 }).waitFor();
    await page.getByLabel("Number", { exact: true }).fill("500");
    await page.getByLabel("Name", { exact: true }).fill("Main menu");
    await page.getByLabel("Greeting text (spoken)").fill("Welcome to Flujo. Press 1 for sales.");
    const option1 = page.getByRole("group", { name: "Option 1" });
    assert.equal(await option1.getByLabel("Key").inputValue(), "1");
    await option1.getByLabel("Kind").selectOption("ring_group");
    await option1.getByLabel("Ring group", { exact: true }).selectOption({ label: "600 · Ventas" });
    await page.getByRole("button", { name: "Add option" }).click();
    const option2 = page.getByRole("group", { name: "Option 2" });
    await option2.getByLabel("Kind").selectOption("hangup");
    // Key 1 twice: flagged at once, and the API's own error once sent.
    await option2.getByLabel("Key").selectOption("1");
    await option2.getByText("Key 1 is already used by another option.").waitFor();
    await page.getByRole("button", { name: "Create" }).click();
    await option2.getByText("another option already uses this key").waitFor();
    assert.equal(await option2.getByLabel("Key").getAttribute("aria-invalid"), "true");
    assert.equal((await api("GET", `/v1/tenants/${t.id}/ivr-menus`, tt)).items.length, 0, "nothing created on bad input");
    await accessible(page, "ivr-menu-new");
    await shot(page, "ivr-menu-new");

    await option2.getByLabel("Key").selectOption("0");
    await page.getByRole("button", { name: "Create" }).click();
    await page.getByRole("heading", { name: "500 · Main menu", level: 1 }).waitFor();
    const menus = (await api("GET", `/v1/tenants/${t.id}/ivr-menus`, tt)).items;
    assert.equal(menus.length, 1);
    const menu = menus[0];
    assert.deepEqual(menu.options, [
      { digit: "1", destination: { type: "ring_group", id: group.id } },
      { digit: "0", destination: { type: "hangup" } },
    ]);
    assert.equal(menu.greeting.type, "text");

    // Greeting: bytes that are not audio are refused at the field; a real WAV plays.
    const file = page.getByLabel("Audio file");
    await file.setInputFiles({ name: "fake.wav", mimeType: "audio/wav", buffer: Buffer.from("this is not audio") });
    await page.getByRole("button", { name: "Upload" }).click();
    await page.locator("#f-greeting-file-error").waitFor();
    assert.equal((await api("GET", `/v1/tenants/${t.id}/ivr-menus/${menu.id}`, tt)).greeting.type, "text");

    const audio = wav(0.5);
    await file.setInputFiles({ name: "bienvenida.wav", mimeType: "audio/wav", buffer: audio });
    await page.getByRole("button", { name: "Upload" }).click();
    await page.getByRole("status").filter({ hasText: "Recording uploaded" }).waitFor();
    await page.locator("audio[aria-label='Greeting recording']").waitFor();
    assert.match(await page.locator("audio").getAttribute("src"), /^blob:/);
    // The browser decoded it: half a second of audio.
    const duration = await page.waitForFunction(() => {
      const a = document.querySelector("audio");
      return a && a.readyState >= 1 && a.duration > 0 ? a.duration : false;
    });
    assert.ok(Math.abs((await duration.jsonValue()) - 0.5) < 0.05, "the player has the uploaded half second");
    const uploaded = await api("GET", `/v1/tenants/${t.id}/ivr-menus/${menu.id}`, tt);
    assert.equal(uploaded.greeting.type, "recording");
    assert.equal(uploaded.greeting.sha256, createHash("sha256").update(audio).digest("hex"));
    assert.deepEqual(uploaded.options, menu.options, "the upload leaves the options alone");
    await accessible(page, "ivr-menu");
    await shot(page, "ivr-menu");
    // On a phone: nothing wider than the screen.
    await page.setViewportSize({ width: 390, height: 844 });
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), "no sideways scrolling on a phone");
    await shot(page, "ivr-menu-phone");
    await page.setViewportSize({ width: 1280, height: 800 });

    // Saving the form afterwards keeps the recording (its empty text means "keep it").
    await page.getByLabel("Wait for a key (seconds)").fill("8");
    await page.getByRole("button", { name: "Save" }).click();
    await page.getByRole("status").filter({ hasText: "Saved" }).waitFor();
    const saved = await api("GET", `/v1/tenants/${t.id}/ivr-menus/${menu.id}`, tt);
    assert.equal(saved.timeout_seconds, 8);
    assert.equal(saved.greeting.type, "recording");

    await page.getByRole("link", { name: "Back to the list" }).click();
    await page.getByRole("heading", { name: "IVR menus", level: 1 }).waitFor();
    await page.getByRole("cell", { name: "Recording" }).waitFor();
    await accessible(page, "ivr-menus");
    await shot(page, "ivr-menus");

    // ── Number ──────────────────────────────────────────────────────────────────────────
    await page.getByRole("link", { name: "Numbers (DIDs)" }).click();
    await page.getByRole("heading", { name: "Phone numbers", level: 1 }).waitFor();
    const claimField = page.getByLabel("Number (international format)");
    // Not in the inventory: the API's error at the field, nothing claimed.
    await claimField.fill("+34 911 000 999");
    await page.getByRole("button", { name: "Claim" }).click();
    await page.locator("#f-number-error").filter({ hasText: "no such number in the inventory" }).waitFor();
    assert.equal(await claimField.getAttribute("aria-invalid"), "true");
    assert.equal((await api("GET", `/v1/tenants/${t.id}/dids`, tt)).items.length, 0);
    await accessible(page, "dids-claim-error");

    await claimField.fill("+34 911 234 567");
    await page.getByRole("button", { name: "Claim" }).click();
    await page.getByRole("heading", { name: DID, level: 1 }).waitFor();
    await page.getByText("Calls to this number are not answered until you choose where they go.").waitFor();
    const goesTo = page.getByRole("group", { name: "Calls go to" });
    await goesTo.getByLabel("Kind").selectOption("ivr_menu");
    await goesTo.getByLabel("Search").fill("main");
    await goesTo.getByLabel("IVR menu", { exact: true }).selectOption({ label: "500 · Main menu" });
    await page.getByRole("button", { name: "Save" }).click();
    await page.getByRole("status").filter({ hasText: "Saved" }).waitFor();
    await accessible(page, "did");
    await shot(page, "did");

    const dids = (await api("GET", `/v1/tenants/${t.id}/dids`, tt)).items;
    assert.equal(dids.length, 1);
    assert.equal(dids[0].number, DID);
    assert.deepEqual(dids[0].destination, { type: "ivr_menu", id: menu.id });

    // ── The switch's view: a call from the carrier to the number plays the menu ─────────
    const node = await api("POST", "/v1/switch-nodes", admin, { name: `edge-${Date.now()}`, kind: "kamailio", addresses: ["192.0.2.10"] });
    const routed = await api("POST", "/v1/switch/route", node.token, { caller: "+34600000001", destination: DID, source: "trunk" });
    assert.equal(routed.tenant_id, t.id);
    assert.equal(routed.plan.action, "ivr", JSON.stringify(routed.plan));
    assert.equal(routed.plan.ivr_menu_id, menu.id);
    const key1 = routed.plan.options.find((o) => o.digit === "1");
    assert.equal(key1?.plan.action, "ring", "key 1 rings the group");
    assert.equal(key1.plan.legs.length, 2);

    await page.getByRole("link", { name: "Back to the list" }).click();
    await page.getByRole("heading", { name: "Phone numbers", level: 1 }).waitFor();
    await page.getByRole("cell", { name: "IVR menu 500 · Main menu" }).waitFor();
    await accessible(page, "dids");
    await shot(page, "dids");

    // In Spanish too.
    await page.getByLabel("Language").selectOption("es");
    await page.getByRole("heading", { name: "Números de teléfono", level: 1 }).waitFor();
    await page.getByRole("cell", { name: "Menú IVR 500 · Main menu" }).waitFor();
    await shot(page, "dids-es");
    await page.getByLabel("Idioma").selectOption("en");
    await page.getByRole("heading", { name: "Phone numbers", level: 1 }).waitFor();

    assert.deepEqual(page.cspErrors(), []);
  });

  test("deleting asks first, and what is still in use is not deleted", async () => {
    const admin = await token(ADMIN.email, ADMIN.password);
    const t = await tenantWithAdmin(admin, "Borrar SA");
    const tt = await token(t.email, PASSWORD);
    const ext = await api("POST", `/v1/tenants/${t.id}/extensions`, tt, { number: "2001", display_name: "Eva" });
    const group = await api("POST", `/v1/tenants/${t.id}/ring-groups`, tt, {
      number: "700",
      name: "Soporte",
      members: [{ target: { type: "extension", id: ext.id } }],
    });
    const menu = await api("POST", `/v1/tenants/${t.id}/ivr-menus`, tt, {
      number: "701",
      name: "Soporte IVR",
      greeting: { type: "text", text: "Hola" },
      options: [{ digit: "1", destination: { type: "ring_group", id: group.id } }],
    });
    const trunk = await api("POST", "/v1/trunks", admin, { name: `Carrier del ${Date.now()}`, host: "sip2.carrier.example" });
    const number = "+34911234599";
    await api("POST", "/v1/dids", admin, { number, carrier_trunk_id: trunk.id, currency: "USD" });
    const did = await api("POST", `/v1/tenants/${t.id}/dids`, tt, { number });

    // Another tenant's admin gets not-found pages for them.
    const other = await tenantWithAdmin(admin, "Otro SL");
    const outsider = await newPage();
    await signIn(outsider, other.email);
    for (const path of [`/ring-groups/${group.id}`, `/ivr-menus/${menu.id}`, `/dids/${did.id}`]) {
      await outsider.goto(base + path);
      await outsider.getByRole("heading", { name: "Not found" }).waitFor();
      assert.equal(await outsider.getByText("Soporte").count(), 0);
    }

    const page = await newPage();
    await signIn(page, t.email);

    // The menu still sends key 1 to the group: the API refuses, the page says why.
    await page.goto(`${base}/ring-groups/${group.id}`);
    await page.getByRole("heading", { name: "700 · Soporte", level: 1 }).waitFor();
    await page.getByRole("button", { name: "Delete 700 · Soporte" }).click();
    await page.getByRole("button", { name: "Cancel" }).click();
    assert.equal((await api("GET", `/v1/tenants/${t.id}/ring-groups`, tt)).items.length, 1, "cancel deletes nothing");
    await page.getByRole("button", { name: "Delete 700 · Soporte" }).click();
    await page.getByRole("group", { name: /Delete the ring group 700 · Soporte/ }).waitFor();
    await page.getByRole("button", { name: "Yes, delete" }).click();
    await page.getByRole("alert").waitFor();
    assert.equal((await api("GET", `/v1/tenants/${t.id}/ring-groups`, tt)).items.length, 1);

    // Delete the menu, then the group goes too.
    await page.goto(`${base}/ivr-menus/${menu.id}`);
    await page.getByRole("heading", { name: "701 · Soporte IVR", level: 1 }).waitFor();
    await page.getByRole("button", { name: "Delete 701 · Soporte IVR" }).click();
    await page.getByRole("button", { name: "Yes, delete" }).click();
    await page.getByRole("heading", { name: "IVR menus", level: 1 }).waitFor();
    assert.equal((await api("GET", `/v1/tenants/${t.id}/ivr-menus`, tt)).items.length, 0);
    await page.goto(`${base}/ring-groups/${group.id}`);
    await page.getByRole("button", { name: "Delete 700 · Soporte" }).click();
    await page.getByRole("button", { name: "Yes, delete" }).click();
    await page.getByRole("heading", { name: "Ring groups", level: 1 }).waitFor();
    assert.equal((await api("GET", `/v1/tenants/${t.id}/ring-groups`, tt)).items.length, 0);

    // Releasing a number.
    await page.goto(`${base}/dids/${did.id}`);
    await page.getByRole("heading", { name: number, level: 1 }).waitFor();
    await page.getByRole("button", { name: `Release ${number}` }).click();
    await page.getByRole("button", { name: "Yes, release it" }).click();
    await page.getByRole("heading", { name: "Phone numbers", level: 1 }).waitFor();
    await page.getByText("Nothing yet.").waitFor();
    assert.equal((await api("GET", `/v1/tenants/${t.id}/dids`, tt)).items.length, 0);
    const inventory = await api("GET", `/v1/dids/${did.id}`, admin);
    assert.equal(inventory.status, "available");
  });
});
