// The weekly schedule editor: the schedule's time zone, per weekday one or more open
// intervals, holidays, and (read-only) whatever else the stored schedule says. Controlled:
// the form holds the `EditorState` (see model.ts for how it maps to the API's rules).

import { useContext, useState } from "preact/hooks";
import { LocaleContext, useStrings } from "../../i18n";
import {
  DAYS,
  MINUTES_PER_DAY,
  formatClock,
  holidayIssue,
  intervalMinutes,
  sortHolidays,
  validate,
  type EditorState,
  type Holiday,
  type Interval,
  type IntervalIssue,
} from "./model";
import { SCHEDULE_STRINGS, describeRule, type ScheduleKey } from "./strings";
import { TimeZoneSelect } from "./TimeZoneSelect";

interface Props {
  /** Prefix of the inputs' ids; also the field name of API errors (`schedule`). */
  name: string;
  value: EditorState;
  onChange: (next: EditorState) => void;
  /** The API's error about the schedule. */
  error?: string;
  /** Set once the user tried to save: also flags what is missing rather than wrong. */
  submitted?: boolean;
}

const ISSUE_TEXT: Record<IntervalIssue, ScheduleKey> = {
  missing: "issueMissing",
  order: "issueOrder",
  overlap: "issueOverlap",
};

/** Where a new interval of a day starts: 09:00-17:00 first, then after the last one. */
function nextInterval(day: Interval[]): Interval {
  const last = day.length ? intervalMinutes(day[day.length - 1]!) : null;
  if (!last) return { start: "09:00", end: "17:00" };
  const start = Math.min(last[1] + 60, MINUTES_PER_DAY - 60);
  const end = Math.min(start + 120, MINUTES_PER_DAY);
  return { start: formatClock(start), end: end === MINUTES_PER_DAY ? "00:00" : formatClock(end) };
}

export function ScheduleEditor({ name, value, onChange, error, submitted }: Props) {
  const s = useStrings(SCHEDULE_STRINGS);
  const issues = validate(value);
  const set = (patch: Partial<EditorState>) => onChange({ ...value, ...patch });
  const setDay = (d: number, intervals: Interval[]) => set({ days: value.days.map((x, i) => (i === d ? intervals : x)) });
  const id = `f-${name}`;
  const monday = value.days[0] ?? [];

  return (
    <fieldset class="sb-schedule" aria-invalid={error ? "true" : undefined} aria-describedby={error ? `${id}-error` : undefined}>
      <legend>{s("schedule")}</legend>
      {error && (
        <p id={`${id}-error`} class="field-error">
          {error}
        </p>
      )}
      <TimeZoneSelect
        id={`${id}-time_zone`}
        label={s("timeZone")}
        searchLabel={s("searchTimeZone")}
        value={value.timeZone}
        onChange={(timeZone) => set({ timeZone })}
        error={issues.timeZone ? s("badTimeZone") : undefined}
      />

      <fieldset class="sb-week" aria-describedby={`${id}-week-hint${submitted && issues.noRules ? ` ${id}-week-error` : ""}`}>
        <legend>{s("weeklyHours")}</legend>
        <p id={`${id}-week-hint`} class="hint">
          {s("weeklyHint")}
        </p>
        {submitted && issues.noRules && (
          <p id={`${id}-week-error`} class="field-error">
            {s("noRules")}
          </p>
        )}
        <p>
          <button type="button" class="sb-secondary" disabled={monday.length === 0} onClick={() => set({ days: value.days.map((x, i) => (i >= 1 && i <= 4 ? monday.map((iv) => ({ ...iv })) : x)) })}>
            {s("copyMonday")}
          </button>
        </p>
        <div class="sb-days">
          {DAYS.map((code, d) => (
            <Day
              key={code}
              id={`${id}-${code}`}
              dayName={s(code)}
              intervals={value.days[d] ?? []}
              issues={issues.intervals[d] ?? []}
              onChange={(intervals) => setDay(d, intervals)}
            />
          ))}
        </div>
      </fieldset>

      <Holidays id={`${id}-holidays`} holidays={value.holidays} onChange={(holidays) => set({ holidays })} />

      {value.keptRules.length > 0 && (
        <Kept
          id={`${id}-kept-rules`}
          legend={s("keptRules")}
          hint={s("keptRulesHint")}
          what={s("rule")}
          rules={value.keptRules}
          onChange={(keptRules) => set({ keptRules })}
        />
      )}
      {value.keptExceptions.length > 0 && (
        <Kept
          id={`${id}-kept-exceptions`}
          legend={s("keptExceptions")}
          hint={s("keptExceptionsHint")}
          what={s("exception")}
          rules={value.keptExceptions}
          onChange={(keptExceptions) => set({ keptExceptions })}
        />
      )}
    </fieldset>
  );
}

function Day(props: {
  id: string;
  dayName: string;
  intervals: Interval[];
  issues: (IntervalIssue | null)[];
  onChange: (intervals: Interval[]) => void;
}) {
  const { id, dayName, intervals, issues, onChange } = props;
  const s = useStrings(SCHEDULE_STRINGS);
  const edit = (i: number, patch: Partial<Interval>) => onChange(intervals.map((x, j) => (j === i ? { ...x, ...patch } : x)));
  return (
    <fieldset class="sb-day">
      <legend>{dayName}</legend>
      {intervals.length === 0 && <p class="hint">{s("closed")}</p>}
      <ol class="sb-intervals">
        {intervals.map((iv, i) => {
          const base = `${id}-${i}`;
          const issue = issues[i] ?? null;
          const described = issue ? `${base}-error` : undefined;
          const which = (
            <span class="sr-only">
              {" "}
              {dayName} {i + 1}
            </span>
          );
          return (
            <li class="sb-interval">
              <span class="sb-times">
                <label for={`${base}-start`}>
                  {s("opens")}
                  {which}
                </label>
                <input
                  id={`${base}-start`}
                  type="time"
                  step={60}
                  value={iv.start}
                  aria-invalid={issue ? "true" : undefined}
                  aria-describedby={described}
                  onInput={(e) => edit(i, { start: e.currentTarget.value })}
                />
                <label for={`${base}-end`}>
                  {s("closes")}
                  {which}
                </label>
                <input
                  id={`${base}-end`}
                  type="time"
                  step={60}
                  value={iv.end}
                  aria-invalid={issue ? "true" : undefined}
                  aria-describedby={described}
                  onInput={(e) => edit(i, { end: e.currentTarget.value })}
                />
              </span>
              <button type="button" class="sb-secondary" onClick={() => onChange(intervals.filter((_, j) => j !== i))}>
                {s("remove")}
                <span class="sr-only">
                  {" "}
                  {dayName} {iv.start}–{iv.end}
                </span>
              </button>
              {issue && (
                <small id={`${base}-error`} class="field-error">
                  {s(ISSUE_TEXT[issue])}
                </small>
              )}
            </li>
          );
        })}
      </ol>
      <button type="button" class="sb-secondary" onClick={() => onChange([...intervals, nextInterval(intervals)])}>
        {s("addHours")}
        <span class="sr-only"> {dayName}</span>
      </button>
    </fieldset>
  );
}

/** A date (`YYYY-MM-DD`) in words, read as a calendar day (no zone shifts it). */
export function formatDay(date: string, locale: string): string {
  const [y, m, d] = date.split("-").map(Number);
  if (!y || !m || !d) return date;
  return new Intl.DateTimeFormat(locale, { timeZone: "UTC", weekday: "short", year: "numeric", month: "short", day: "numeric" }).format(
    new Date(Date.UTC(y, m - 1, d)),
  );
}

export function formatHoliday(h: Holiday, locale: string): string {
  return h.from === h.to ? formatDay(h.from, locale) : `${formatDay(h.from, locale)} – ${formatDay(h.to, locale)}`;
}

const HOLIDAY_ISSUE: Record<"missing" | "order" | "duplicate", ScheduleKey> = {
  missing: "holidayMissing",
  order: "holidayOrder",
  duplicate: "holidayDuplicate",
};

function Holidays({ id, holidays, onChange }: { id: string; holidays: Holiday[]; onChange: (h: Holiday[]) => void }) {
  const s = useStrings(SCHEDULE_STRINGS);
  const { locale } = useContext(LocaleContext);
  const [from, setFrom] = useState("");
  const [to, setTo] = useState("");
  const [issue, setIssue] = useState<ScheduleKey | null>(null);

  const add = () => {
    const h = { from, to: to || from };
    const problem = holidayIssue(h, holidays);
    if (problem) return setIssue(HOLIDAY_ISSUE[problem]);
    onChange(sortHolidays([...holidays, h]));
    setFrom("");
    setTo("");
    setIssue(null);
  };
  // Enter in a date input would submit the whole form: add the holiday instead.
  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === "Enter") {
      e.preventDefault();
      add();
    }
  };

  return (
    <fieldset class="sb-holidays" aria-describedby={`${id}-hint`}>
      <legend>{s("holidays")}</legend>
      <p id={`${id}-hint`} class="hint">
        {s("holidaysHint")}
      </p>
      {holidays.length === 0 ? (
        <p>{s("noHolidays")}</p>
      ) : (
        <ul class="sb-holiday-list">
          {holidays.map((h) => (
            <li>
              <span>{formatHoliday(h, locale)}</span>{" "}
              <button type="button" class="sb-secondary" onClick={() => onChange(holidays.filter((x) => x !== h))}>
                {s("remove")}
                <span class="sr-only">
                  {" "}
                  {s("holiday")} {h.from === h.to ? h.from : `${h.from}..${h.to}`}
                </span>
              </button>
            </li>
          ))}
        </ul>
      )}
      <div class="sb-holiday-add">
        <div class="field">
          <label for={`${id}-from`}>{s("holidayFrom")}</label>
          <input
            id={`${id}-from`}
            type="date"
            value={from}
            aria-invalid={issue ? "true" : undefined}
            aria-describedby={issue ? `${id}-error` : undefined}
            onInput={(e) => setFrom(e.currentTarget.value)}
            onKeyDown={onKeyDown}
          />
        </div>
        <div class="field">
          <label for={`${id}-to`}>{s("holidayTo")}</label>
          <input id={`${id}-to`} type="date" value={to} min={from || undefined} onInput={(e) => setTo(e.currentTarget.value)} onKeyDown={onKeyDown} />
        </div>
        <button type="button" class="sb-secondary" onClick={add}>
          {s("addHoliday")}
        </button>
      </div>
      {issue && (
        <p id={`${id}-error`} class="field-error" role="alert">
          {s(issue)}
        </p>
      )}
    </fieldset>
  );
}

function Kept(props: {
  id: string;
  legend: string;
  hint: string;
  what: string;
  rules: EditorState["keptRules"];
  onChange: (rules: EditorState["keptRules"]) => void;
}) {
  const { id, legend, hint, what, rules, onChange } = props;
  const s = useStrings(SCHEDULE_STRINGS);
  return (
    <fieldset class="sb-kept" aria-describedby={`${id}-hint`} data-testid={id}>
      <legend>{legend}</legend>
      <p id={`${id}-hint`} class="hint">
        {hint}
      </p>
      <ul>
        {rules.map((rule, i) => {
          const text = describeRule(rule, s);
          return (
            <li>
              <span class="sb-rule-text">{text}</span>{" "}
              <button type="button" class="sb-secondary" onClick={() => onChange(rules.filter((_, j) => j !== i))}>
                {s("remove")}
                <span class="sr-only">
                  {" "}
                  {what} {text}
                </span>
              </button>
            </li>
          );
        })}
      </ul>
    </fieldset>
  );
}
