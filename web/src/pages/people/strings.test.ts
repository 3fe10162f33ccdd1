import { describe, expect, it } from "vitest";
import { PEOPLE, formatDuration } from "./strings";

describe("people and calls strings", () => {
  it("has every string in both languages, none empty, and really translated", () => {
    const keys = Object.keys(PEOPLE.en) as (keyof typeof PEOPLE.en)[];
    expect(Object.keys(PEOPLE.es).sort()).toEqual([...keys].sort());
    for (const table of [PEOPLE.en, PEOPLE.es]) expect(keys.filter((k) => !table[k].trim())).toEqual([]);
    // "PIN" is the same in both; a copied table is not.
    expect(keys.filter((k) => PEOPLE.en[k] === PEOPLE.es[k]).length).toBeLessThan(keys.length / 10);
  });
});

describe("formatDuration", () => {
  it("shows minutes and seconds, and hours past the hour", () => {
    expect(formatDuration(0)).toBe("0:00");
    expect(formatDuration(5)).toBe("0:05");
    expect(formatDuration(65)).toBe("1:05");
    expect(formatDuration(3599)).toBe("59:59");
    expect(formatDuration(3725)).toBe("1:02:05");
    expect(formatDuration(-3)).toBe("0:00");
  });
});
