// Long lists in Chromium: a list page shows its first page of 50 and "More" adds the next,
// so a tenant with more objects than one page sees them all (Extensions stands for the
// list pages that share the pager).

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ADMIN, PASSWORD, accessible, api, base, newPage, shot, signIn, tenantWithAdmin, token, useCentralita } from "./harness.mjs";

useCentralita();

describe("paged lists in Chromium", () => {
  test("55 extensions: 50 at first, all 55 after More", async () => {
    const admin = await token(ADMIN.email, ADMIN.password);
    const t = await tenantWithAdmin(admin, "Paging Co");
    const tt = await token(t.email, PASSWORD);
    const numbers = Array.from({ length: 55 }, (_, i) => String(7001 + i));
    for (const number of numbers)
      await api("POST", `/v1/tenants/${t.id}/extensions`, tt, { number, display_name: `Phone ${number}` });

    const page = await newPage();
    await signIn(page, t.email);
    await page.goto(`${base}/extensions`);
    await page.getByRole("heading", { name: "Extensions", level: 1 }).waitFor();
    const rows = page.locator("tr[data-extension]");
    await rows.nth(49).waitFor();
    assert.equal(await rows.count(), 50);

    const more = page.getByRole("button", { name: "More" });
    await more.click();
    await rows.nth(54).waitFor();
    assert.equal(await rows.count(), 55);
    // Each one once, none left out; the last page has no "More".
    const shown = await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-extension")));
    assert.deepEqual([...shown].sort(), numbers);
    await more.waitFor({ state: "detached" });
    await accessible(page, "extensions-paged");
    await shot(page, "extensions-paged");
    await page.context().close();
  });
});
