import { describe, expect, it } from "vitest";
import { NO_FILTERS, cdrQuery, exportFileName, localDayStart, toSearch } from "./cdrQuery";

describe("cdrQuery", () => {
  it("sends nothing when no filter is set", () => {
    expect(cdrQuery(NO_FILTERS)).toEqual({});
    expect(toSearch(cdrQuery(NO_FILTERS))).toBe("");
  });

  it("makes the date range whole local days, `to` included", () => {
    const q = cdrQuery({ ...NO_FILTERS, from: "2026-03-01", to: "2026-03-31" });
    expect(q.from).toBe(new Date(2026, 2, 1).toISOString());
    // The API's `to` is exclusive: the day after the chosen one, at local midnight.
    expect(q.to).toBe(new Date(2026, 3, 1).toISOString());
  });

  it("rolls the end of a month and a year over", () => {
    expect(localDayStart("2026-12-31", 1)).toBe(new Date(2027, 0, 1).toISOString());
    expect(localDayStart("2028-02-28", 1)).toBe(new Date(2028, 1, 29).toISOString());
  });

  it("ignores a date it cannot read instead of sending it", () => {
    expect(localDayStart("31/03/2026")).toBeUndefined();
    expect(cdrQuery({ ...NO_FILTERS, from: "soon" })).toEqual({});
  });

  it("passes direction, result and a trimmed extension, leaving out the empty ones", () => {
    expect(cdrQuery({ ...NO_FILTERS, direction: "inbound", extension: " 2001 " })).toEqual({ direction: "inbound", extension: "2001" });
    expect(cdrQuery({ ...NO_FILTERS, disposition: "no_answer", extension: "   " })).toEqual({ disposition: "no_answer" });
  });

  it("builds the export's search string from the same query", () => {
    const search = toSearch(cdrQuery({ ...NO_FILTERS, from: "2026-03-01", direction: "outbound", disposition: "busy" }));
    const params = new URLSearchParams(search.slice(1));
    expect(search.startsWith("?")).toBe(true);
    expect(params.get("from")).toBe(new Date(2026, 2, 1).toISOString());
    expect(params.get("direction")).toBe("outbound");
    expect(params.get("disposition")).toBe("busy");
    expect(params.has("to")).toBe(false);
    expect(params.has("limit")).toBe(false);
  });

  it("names the export after its period", () => {
    const today = new Date(2026, 4, 7);
    expect(exportFileName(NO_FILTERS, today)).toBe("calls-2026-05-07.csv");
    expect(exportFileName({ ...NO_FILTERS, from: "2026-03-01", to: "2026-03-31" }, today)).toBe("calls-2026-03-01-to-2026-03-31.csv");
    expect(exportFileName({ ...NO_FILTERS, from: "2026-03-01" }, today)).toBe("calls-2026-03-01-to-2026-05-07.csv");
  });
});
