import { describe, expect, it } from "vitest";
import { period } from "./Revenue";

describe("period", () => {
  it("runs from the start of the first day to the end of the last (local days)", () => {
    const p = period("2026-12-01", "2026-12-31");
    expect(p).not.toBeNull();
    const from = new Date(p!.from);
    const to = new Date(p!.to);
    expect([from.getFullYear(), from.getMonth(), from.getDate(), from.getHours()]).toEqual([2026, 11, 1, 0]);
    // The day after the last one, at midnight: the last day is included whole.
    expect([to.getFullYear(), to.getMonth(), to.getDate(), to.getHours()]).toEqual([2027, 0, 1, 0]);
  });

  it("refuses a date that does not parse", () => {
    expect(period("", "2026-12-31")).toBeNull();
    expect(period("2026-13-45", "2026-12-31")).toBeNull();
  });
});
