// The weekly schedule editor's model, apart from any rendering so it can be tested on its own.
//
// The API stores a schedule as rules (each a conjunction of weekdays, times, dates, month days
// and months, in text forms such as `mon-fri` and `09:00-17:30`) and exceptions. The editor
// shows what most offices need as a grid: per weekday, open intervals; plus holidays (date
// exceptions). Rules and exceptions the grid cannot express (month days, months, dates in a
// rule, hours that wrap past midnight, …) are kept verbatim and sent back unchanged, so
// opening and saving a schedule never loses part of it.

import type { Schemas } from "../../api/client";

export type Schedule = Schemas["Schedule"];
export type TimeRule = Schemas["TimeRule"];

/** Monday first, as the API's `mon`…`sun`. */
export const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;
const LONG_DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];

/** One open interval as its two time inputs show it (`HH:MM`). An end of `00:00` means
 * midnight at the end of the day (the API's `24:00`, which a time input cannot show). */
export interface Interval {
  start: string;
  end: string;
}

/** A holiday: one date (`to` equal to `from`) or an inclusive range, `YYYY-MM-DD`. */
export interface Holiday {
  from: string;
  to: string;
}

export interface EditorState {
  timeZone: string;
  /** Seven lists, Monday first; an empty list is a closed day. */
  days: Interval[][];
  holidays: Holiday[];
  /** Rules the grid cannot show, kept as they came. */
  keptRules: TimeRule[];
  /** Exceptions that are not plain holidays, kept as they came. */
  keptExceptions: TimeRule[];
}

export const MINUTES_PER_DAY = 24 * 60;

const present = (part: string[] | undefined): part is string[] => !!part && part.length > 0;

/** Minutes since midnight of `HH:MM` (or `H:MM`), as strictly as the API parses it;
 * `24:00` only when `end`. */
export function parseClock(text: string, end: boolean): number | null {
  const m = /^(\d{1,2}):(\d{2})$/.exec(text.trim());
  if (!m) return null;
  const hour = Number(m[1]);
  const minute = Number(m[2]);
  if (minute > 59) return null;
  if (hour <= 23) return hour * 60 + minute;
  return end && hour === 24 && minute === 0 ? MINUTES_PER_DAY : null;
}

export function formatClock(minutes: number): string {
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return `${String(h).padStart(2, "0")}:${String(m).padStart(2, "0")}`;
}

/** A time range `HH:MM-HH:MM` the grid can show (start before end, no wrap past midnight),
 * as minutes; `null` otherwise. */
function parseGridTimes(text: string): [number, number] | null {
  const cut = text.indexOf("-");
  if (cut < 0) return null;
  const start = parseClock(text.slice(0, cut), false);
  const end = parseClock(text.slice(cut + 1), true);
  if (start === null || end === null || end <= start) return null;
  return [start, end];
}

function parseDay(text: string): number | null {
  const t = text.trim().toLowerCase();
  const i = DAYS.findIndex((d, n) => d === t || LONG_DAYS[n] === t);
  return i < 0 ? null : i;
}

/** The weekday indexes (0 = Monday) a `weekdays` part names; ranges may wrap (`fri-mon`).
 * `null` when an item does not parse. */
export function parseWeekdays(items: string[]): Set<number> | null {
  const days = new Set<number>();
  for (const item of items) {
    const [a, b, ...extra] = item.split("-");
    if (a === undefined || extra.length) return null;
    const first = parseDay(a);
    const last = b === undefined ? first : parseDay(b);
    if (first === null || last === null) return null;
    for (let d = first; ; d = (d + 1) % 7) {
      days.add(d);
      if (d === last) break;
    }
  }
  return days;
}

/** Weekday indexes as the API's text: consecutive days as ranges (`mon-fri`, `sat`). */
export function formatWeekdays(days: number[]): string[] {
  const sorted = [...new Set(days)].sort((a, b) => a - b);
  const out: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    const first = DAYS[sorted[i]!]!;
    const last = DAYS[sorted[j]!]!;
    out.push(i === j ? first : `${first}-${last}`);
    i = j + 1;
  }
  return out;
}

/** Sorted intervals with overlapping ones joined (two rules may open the same day twice). */
function union(ranges: [number, number][]): [number, number][] {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const out: [number, number][] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r[0] < last[1]) last[1] = Math.max(last[1], r[1]);
    else out.push([r[0], r[1]]);
  }
  return out;
}

/** The days and minute ranges a rule opens, when the grid can show it; `null` otherwise. */
function gridRule(rule: TimeRule): { days: Set<number>; ranges: [number, number][] } | null {
  if (present(rule.dates) || present(rule.month_days) || present(rule.months)) return null;
  const days = present(rule.weekdays) ? parseWeekdays(rule.weekdays) : new Set([0, 1, 2, 3, 4, 5, 6]);
  if (!days) return null;
  const ranges: [number, number][] = [];
  for (const t of present(rule.times) ? rule.times : ["00:00-24:00"]) {
    const r = parseGridTimes(t);
    if (!r) return null;
    ranges.push(r);
  }
  return { days, ranges };
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** A `dates` item as a holiday, when it is a well-formed date or ascending range. */
export function parseHoliday(text: string): Holiday | null {
  const [a, b, ...extra] = text.split("..").map((s) => s.trim());
  if (a === undefined || extra.length) return null;
  const to = b ?? a;
  if (!DATE.test(a) || !DATE.test(to) || to < a) return null;
  return { from: a, to };
}

/** An exception that is only dates, as holidays; `null` for anything else. */
function holidaysOf(rule: TimeRule): Holiday[] | null {
  if (present(rule.weekdays) || present(rule.times) || present(rule.month_days) || present(rule.months)) return null;
  if (!present(rule.dates)) return null;
  const out: Holiday[] = [];
  for (const d of rule.dates) {
    const h = parseHoliday(d);
    if (!h) return null;
    out.push(h);
  }
  return out;
}

const intervalOf = ([s, e]: [number, number]): Interval => ({
  start: formatClock(s),
  end: e === MINUTES_PER_DAY ? "00:00" : formatClock(e),
});

/** An API schedule as the editor shows it. */
export function scheduleToEditor(schedule: Schedule): EditorState {
  const perDay: [number, number][][] = DAYS.map(() => []);
  const keptRules: TimeRule[] = [];
  for (const rule of schedule.rules) {
    const g = gridRule(rule);
    if (!g) keptRules.push(rule);
    else for (const d of g.days) perDay[d]!.push(...g.ranges);
  }
  const holidays: Holiday[] = [];
  const keptExceptions: TimeRule[] = [];
  for (const rule of schedule.exceptions ?? []) {
    const h = holidaysOf(rule);
    if (h) holidays.push(...h);
    else keptExceptions.push(rule);
  }
  return {
    timeZone: schedule.time_zone,
    days: perDay.map((ranges) => union(ranges).map(intervalOf)),
    holidays: sortHolidays(holidays),
    keptRules,
    keptExceptions,
  };
}

/** An interval's minutes, `null` when an input is empty or malformed. End `00:00` is
 * midnight at the end of the day. */
export function intervalMinutes(i: Interval): [number, number] | null {
  const start = parseClock(i.start.slice(0, 5), false);
  const end = parseClock(i.end.slice(0, 5), false);
  if (start === null || end === null) return null;
  return [start, end === 0 ? MINUTES_PER_DAY : end];
}

export const holidayText = (h: Holiday) => (h.from === h.to ? h.from : `${h.from}..${h.to}`);

export function sortHolidays(hs: Holiday[]): Holiday[] {
  return [...hs].sort((a, b) => a.from.localeCompare(b.from) || a.to.localeCompare(b.to));
}

/**
 * The editor's state as an API schedule: days with the same hours share one rule
 * (`mon-fri` with `09:00-14:00` and `16:00-19:00`), then the kept rules; each holiday is an
 * exception of its own (so an evaluation's exception index names it), then the kept ones.
 * Call only with a state `validate` passes.
 */
export function editorToSchedule(state: EditorState): Schedule {
  const groups = new Map<string, { days: number[]; times: string[] }>();
  state.days.forEach((intervals, day) => {
    const ranges = intervals
      .map(intervalMinutes)
      .filter((r): r is [number, number] => r !== null)
      .sort((a, b) => a[0] - b[0]);
    if (!ranges.length) return;
    const times = ranges.map(([s, e]) => `${formatClock(s)}-${formatClock(e)}`);
    const key = times.join(",");
    const group = groups.get(key);
    if (group) group.days.push(day);
    else groups.set(key, { days: [day], times });
  });
  const rules: TimeRule[] = [...groups.values()].map((g) => ({ weekdays: formatWeekdays(g.days), times: g.times }));
  return {
    time_zone: state.timeZone,
    rules: [...rules, ...state.keptRules],
    exceptions: [...sortHolidays(state.holidays).map((h) => ({ dates: [holidayText(h)] })), ...state.keptExceptions],
  };
}

export type IntervalIssue = "missing" | "order" | "overlap";

export interface Issues {
  /** Per day, per interval: what is wrong with it, or null. */
  intervals: (IntervalIssue | null)[][];
  /** No open interval and no kept rule: the API needs at least one rule. */
  noRules: boolean;
  timeZone: boolean;
  ok: boolean;
}

export function isTimeZone(zone: string): boolean {
  if (!zone) return false;
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** What the user must fix before the schedule can be saved. */
export function validate(state: EditorState): Issues {
  const intervals = state.days.map((day) => {
    const ranges = day.map(intervalMinutes);
    return day.map((_, i): IntervalIssue | null => {
      const r = ranges[i];
      if (!r) return "missing";
      if (r[1] <= r[0]) return "order";
      const overlaps = ranges.some((o, j) => j !== i && o && o[1] > o[0] && o[0] < r[1] && r[0] < o[1]);
      return overlaps ? "overlap" : null;
    });
  });
  const open = state.days.some((d) => d.length > 0);
  const noRules = !open && state.keptRules.length === 0;
  const timeZone = !isTimeZone(state.timeZone);
  const ok = !noRules && !timeZone && intervals.every((d) => d.every((x) => x === null));
  return { intervals, noRules, timeZone, ok };
}

/** Why a holiday cannot be added, or null. */
export function holidayIssue(h: Holiday, existing: Holiday[]): "missing" | "order" | "duplicate" | null {
  if (!DATE.test(h.from) || !DATE.test(h.to)) return "missing";
  if (h.to < h.from) return "order";
  return existing.some((x) => x.from === h.from && x.to === h.to) ? "duplicate" : null;
}

// Wall-clock time in a zone, for "what happens at …": the API wants an instant.

function wallParts(zone: string, utcMs: number): number[] {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone: zone,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  }).formatToParts(new Date(utcMs));
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value ?? 0);
  return [get("year"), get("month"), get("day"), get("hour") % 24, get("minute"), get("second")];
}

/** The zone's offset from UTC at an instant, in milliseconds. */
function offsetAt(zone: string, utcMs: number): number {
  const [y, mo, d, h, mi, s] = wallParts(zone, utcMs);
  return Date.UTC(y!, mo! - 1, d!, h!, mi!, s!) - Math.floor(utcMs / 1000) * 1000;
}

/**
 * The instant (RFC 3339, UTC) when the zone's clocks show `local` (`YYYY-MM-DDTHH:MM`).
 * A repeated hour (autumn) answers its first occurrence; a skipped one (spring) is read with
 * the offset before the change (02:30 becomes 03:30 summer time), which the API's answer
 * (`local_time`) then shows.
 */
export function zonedToInstant(local: string, zone: string): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(local);
  if (!m) return null;
  const wall = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]));
  // The offsets a day either side (at most one change in between); an instant is right when
  // the zone's offset at it is the one that was assumed.
  const DAY = 86_400_000;
  const candidates = [offsetAt(zone, wall - DAY), offsetAt(zone, wall + DAY)].map((o) => wall - o);
  const right = candidates.filter((c) => offsetAt(zone, c) === wall - c);
  const t = right.length ? Math.min(...right) : candidates[0]!;
  return new Date(t).toISOString().replace(".000Z", "Z");
}

/** Now on the zone's clock, as a `datetime-local` value. */
export function nowInZone(zone: string, now = Date.now()): string {
  const [y, mo, d, h, mi] = wallParts(zone, now).map((n) => String(n).padStart(2, "0"));
  return `${y}-${mo}-${d}T${h}:${mi}`;
}

export function browserTimeZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  } catch {
    return "UTC";
  }
}

/** An empty editor: closed every day, in `zone`. */
export function emptyEditor(zone: string): EditorState {
  return { timeZone: zone, days: DAYS.map(() => []), holidays: [], keptRules: [], keptExceptions: [] };
}
