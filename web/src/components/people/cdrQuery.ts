// The call history's filters, as the form holds them, turned into the query of
// `GET /v1/tenants/{id}/cdrs` (and of its CSV export, which takes the same filters).

import type { Schemas } from "../../api/client";

type Direction = Schemas["Direction"];
type Disposition = Schemas["Disposition"];

export interface CdrFilters {
  /** `yyyy-mm-dd` from a date input, or empty: calls that day or later. */
  from: string;
  /** `yyyy-mm-dd`, or empty: calls that day or earlier (the whole day counts). */
  to: string;
  direction: Direction | "";
  disposition: Disposition | "";
  extension: string;
}

export const NO_FILTERS: CdrFilters = { from: "", to: "", direction: "", disposition: "", extension: "" };

export interface CdrQuery {
  from?: string;
  to?: string;
  direction?: Direction;
  disposition?: Disposition;
  extension?: string;
}

/** Local midnight of a `yyyy-mm-dd` day (plus `days`), as the API's RFC 3339 instant. */
export function localDayStart(day: string, days = 0): string | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!m) return undefined;
  const date = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + days);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/**
 * The API query of the filters: only the ones set. Dates are the user's days (local time):
 * `from` is that day's first instant, and since the API's `to` is exclusive ("started
 * before"), `to` is the next day's first instant, so "to 3 March" includes 3 March.
 */
export function cdrQuery(f: CdrFilters): CdrQuery {
  const q: CdrQuery = {};
  const from = localDayStart(f.from);
  const to = localDayStart(f.to, 1);
  if (from) q.from = from;
  if (to) q.to = to;
  if (f.direction) q.direction = f.direction;
  if (f.disposition) q.disposition = f.disposition;
  const extension = f.extension.trim();
  if (extension) q.extension = extension;
  return q;
}

/** The query as a URL search string (`?a=b&…`, or empty), for the export's plain fetch. */
export function toSearch(q: CdrQuery): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined) params.set(k, String(v));
  const s = params.toString();
  return s ? `?${s}` : "";
}

/** The export's file name: the period when there is one (`calls-2026-03-01-to-2026-03-31.csv`). */
export function exportFileName(f: CdrFilters, today: Date = new Date()): string {
  const iso = (d: Date) =>
    `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
  if (f.from || f.to) return `calls-${f.from || "start"}-to-${f.to || iso(today)}.csv`;
  return `calls-${iso(today)}.csv`;
}
