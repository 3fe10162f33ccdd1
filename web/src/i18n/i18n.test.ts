import { describe, expect, it } from "vitest";
import { en, type Key } from "./en";
import { es } from "./es";
import { LOCALES, translate } from "./index";

const keys = Object.keys(en) as Key[];

describe("translations", () => {
  it("has the same keys in English and Spanish", () => {
    expect(Object.keys(es).sort()).toEqual([...keys].sort());
    expect(keys.length).toBeGreaterThan(0);
  });

  it.each([
    ["en", en],
    ["es", es],
  ] as const)("has no empty strings in %s", (_locale, table) => {
    const empty = Object.entries(table).filter(([, value]) => typeof value !== "string" || value.trim() === "");
    expect(empty).toEqual([]);
  });

  it("translate answers each locale's own string", () => {
    expect(translate("en", "signIn")).toBe("Sign in");
    expect(translate("es", "signIn")).toBe("Iniciar sesión");
    for (const locale of LOCALES) {
      const table = locale === "es" ? es : en;
      for (const key of keys) expect(translate(locale, key)).toBe(table[key]);
    }
  });

  it("actually translates: most Spanish strings differ from the English ones", () => {
    // Some strings are legitimately the same (the product name); a copy of en.ts is not.
    const same = keys.filter((k) => en[k] === es[k]);
    expect(same.length).toBeLessThan(keys.length / 5);
  });
});
