import { describe, expect, it } from "vitest";
import {
  editorToSchedule,
  emptyEditor,
  formatWeekdays,
  holidayIssue,
  nowInZone,
  parseWeekdays,
  scheduleToEditor,
  validate,
  zonedToInstant,
  type EditorState,
  type Interval,
  type Schedule,
} from "./model";

const iv = (start: string, end: string): Interval => ({ start, end });

/** An editor state from a few days' intervals (0 = Monday). */
function week(days: Record<number, Interval[]>, extra: Partial<EditorState> = {}): EditorState {
  const state = emptyEditor("Europe/Madrid");
  for (const [d, intervals] of Object.entries(days)) state.days[Number(d)] = intervals;
  return { ...state, ...extra };
}

const split = [iv("09:00", "14:00"), iv("16:00", "19:00")];

describe("intervals → rules", () => {
  it("gives days with the same hours one rule, with weekday ranges", () => {
    const state = week({ 0: split, 1: split, 2: split, 3: split, 4: split, 5: [iv("10:00", "13:00")] });
    expect(editorToSchedule(state)).toEqual({
      time_zone: "Europe/Madrid",
      rules: [
        { weekdays: ["mon-fri"], times: ["09:00-14:00", "16:00-19:00"] },
        { weekdays: ["sat"], times: ["10:00-13:00"] },
      ],
      exceptions: [],
    });
  });

  it("lists days apart when they are not consecutive and sorts a day's intervals", () => {
    const state = week({ 0: [iv("16:00", "19:00"), iv("09:00", "14:00")], 2: split, 6: [iv("11:00", "12:00")] });
    expect(editorToSchedule(state).rules).toEqual([
      { weekdays: ["mon", "wed"], times: ["09:00-14:00", "16:00-19:00"] },
      { weekdays: ["sun"], times: ["11:00-12:00"] },
    ]);
  });

  it("sends an end of 00:00 as the API's 24:00 (midnight at the end of the day)", () => {
    const state = week({ 4: [iv("18:00", "00:00")], 5: [iv("00:00", "00:00")] });
    expect(editorToSchedule(state).rules).toEqual([
      { weekdays: ["fri"], times: ["18:00-24:00"] },
      { weekdays: ["sat"], times: ["00:00-24:00"] },
    ]);
  });

  it("formats and parses weekday ranges as the API does", () => {
    expect(formatWeekdays([0, 1, 2, 3, 4, 5, 6])).toEqual(["mon-sun"]);
    expect(formatWeekdays([4, 0, 1, 6])).toEqual(["mon-tue", "fri", "sun"]);
    expect([...parseWeekdays(["Monday-wednesday", " sat "])!].sort()).toEqual([0, 1, 2, 5]);
    expect([...parseWeekdays(["fri-mon"])!].sort()).toEqual([0, 4, 5, 6]);
    expect(parseWeekdays(["mon-fri-sat"])).toBeNull();
    expect(parseWeekdays(["weekdays"])).toBeNull();
  });
});

describe("rules → editor", () => {
  it("round-trips what the grid built", () => {
    const state = week({ 0: split, 1: split, 2: split, 3: split, 4: split, 5: [iv("10:00", "13:00")], 6: [iv("20:00", "00:00")] }, {
      holidays: [
        { from: "2026-08-10", to: "2026-08-21" },
        { from: "2026-12-25", to: "2026-12-25" },
      ],
    });
    const schedule = editorToSchedule(state);
    expect(scheduleToEditor(schedule)).toEqual(state);
    expect(editorToSchedule(scheduleToEditor(schedule))).toEqual(schedule);
  });

  it("reads the forms the API accepts: full names, wrapping ranges, no weekdays, no times", () => {
    const state = scheduleToEditor({
      time_zone: "America/New_York",
      rules: [
        { weekdays: ["Saturday-monday"], times: ["9:00-12:00"] },
        { times: ["13:00-14:00"] },
        { weekdays: ["wed"] },
      ],
    });
    expect(state.timeZone).toBe("America/New_York");
    expect(state.keptRules).toEqual([]);
    expect(state.days).toEqual([
      [iv("09:00", "12:00"), iv("13:00", "14:00")],
      [iv("13:00", "14:00")],
      [iv("00:00", "00:00")],
      [iv("13:00", "14:00")],
      [iv("13:00", "14:00")],
      [iv("09:00", "12:00"), iv("13:00", "14:00")],
      [iv("09:00", "12:00"), iv("13:00", "14:00")],
    ]);
  });

  it("joins intervals two rules open over each other, so a valid schedule opens valid", () => {
    const state = scheduleToEditor({
      time_zone: "UTC",
      rules: [
        { weekdays: ["mon-fri"], times: ["09:00-17:00"] },
        { weekdays: ["mon"], times: ["16:00-20:00", "08:00-08:30"] },
      ],
    });
    expect(state.days[0]).toEqual([iv("08:00", "08:30"), iv("09:00", "20:00")]);
    expect(state.days[1]).toEqual([iv("09:00", "17:00")]);
    expect(validate(state).ok).toBe(true);
  });
});

describe("holidays → exceptions", () => {
  it("makes one exception per holiday, in date order, single dates without a range", () => {
    const state = week({ 0: split }, {
      holidays: [
        { from: "2026-12-25", to: "2026-12-25" },
        { from: "2026-08-01", to: "2026-08-15" },
      ],
    });
    expect(editorToSchedule(state).exceptions).toEqual([{ dates: ["2026-08-01..2026-08-15"] }, { dates: ["2026-12-25"] }]);
  });

  it("reads date-only exceptions as holidays, several dates in one exception included", () => {
    const state = scheduleToEditor({
      time_zone: "UTC",
      rules: [{ weekdays: ["mon"] }],
      exceptions: [{ dates: ["2027-01-06", "2026-12-24..2026-12-26"] }, { dates: ["2026-05-01"] }],
    });
    expect(state.holidays).toEqual([
      { from: "2026-05-01", to: "2026-05-01" },
      { from: "2026-12-24", to: "2026-12-26" },
      { from: "2027-01-06", to: "2027-01-06" },
    ]);
    expect(state.keptExceptions).toEqual([]);
  });

  it("refuses a holiday with no date, ending before it starts, or already listed", () => {
    const listed = [{ from: "2026-12-25", to: "2026-12-25" }];
    expect(holidayIssue({ from: "", to: "" }, listed)).toBe("missing");
    expect(holidayIssue({ from: "2026-12-26", to: "2026-12-24" }, listed)).toBe("order");
    expect(holidayIssue({ from: "2026-12-25", to: "2026-12-25" }, listed)).toBe("duplicate");
    expect(holidayIssue({ from: "2026-12-24", to: "2026-12-26" }, listed)).toBeNull();
  });
});

describe("rules the grid cannot show", () => {
  const unsupported: Schedule = {
    time_zone: "Europe/Madrid",
    rules: [
      { weekdays: ["mon-fri"], times: ["09:00-17:00"] },
      { weekdays: ["mon-fri"], times: ["08:00-15:00"], months: ["jul-aug"] },
      { times: ["22:00-06:00"] },
      { month_days: ["1"] },
      { dates: ["2026-12-24"], times: ["09:00-13:00"] },
      { weekdays: ["someday"] },
    ],
    exceptions: [{ dates: ["2026-12-25"] }, { dates: ["2026-12-31"], times: ["14:00-24:00"] }, { weekdays: ["sun"] }],
  };

  it("are kept apart and verbatim, and sent back unchanged", () => {
    const state = scheduleToEditor(unsupported);
    expect(state.keptRules).toEqual(unsupported.rules.slice(1));
    expect(state.keptExceptions).toEqual(unsupported.exceptions!.slice(1));
    expect(state.days[0]).toEqual([iv("09:00", "17:00")]);
    expect(state.holidays).toEqual([{ from: "2026-12-25", to: "2026-12-25" }]);

    const back = editorToSchedule(state);
    expect(back.rules).toEqual([{ weekdays: ["mon-fri"], times: ["09:00-17:00"] }, ...unsupported.rules.slice(1)]);
    expect(back.exceptions).toEqual([{ dates: ["2026-12-25"] }, ...unsupported.exceptions!.slice(1)]);
  });

  it("count as rules, so a schedule of only those is valid", () => {
    const state = scheduleToEditor({ time_zone: "UTC", rules: [{ months: ["dec"] }] });
    expect(state.days.every((d) => d.length === 0)).toBe(true);
    expect(validate(state)).toMatchObject({ ok: true, noRules: false });
  });
});

describe("validate", () => {
  it("flags an interval ending before it starts, or at its start", () => {
    const issues = validate(week({ 0: [iv("17:00", "09:00")], 1: [iv("10:00", "10:00")] }));
    expect(issues.intervals[0]).toEqual(["order"]);
    expect(issues.intervals[1]).toEqual(["order"]);
    expect(issues.ok).toBe(false);
  });

  it("flags both of two overlapping intervals, and accepts touching ones", () => {
    const overlapping = validate(week({ 2: [iv("09:00", "14:00"), iv("13:00", "18:00"), iv("18:00", "20:00")] }));
    expect(overlapping.intervals[2]).toEqual(["overlap", "overlap", null]);
    expect(overlapping.ok).toBe(false);
    expect(validate(week({ 2: [iv("09:00", "14:00"), iv("14:00", "00:00")] })).ok).toBe(true);
  });

  it("flags an empty time, an empty week and an unknown time zone", () => {
    expect(validate(week({ 0: [iv("", "17:00")] })).intervals[0]).toEqual(["missing"]);
    expect(validate(week({}))).toMatchObject({ noRules: true, ok: false });
    expect(validate({ ...week({ 0: split }), timeZone: "Mars/Olympus" })).toMatchObject({ timeZone: true, ok: false });
    expect(validate(week({ 0: split }))).toMatchObject({ noRules: false, timeZone: false, ok: true });
  });
});

describe("wall-clock time in a zone", () => {
  it("turns Madrid's wall clock into the instant, winter and summer", () => {
    expect(zonedToInstant("2026-12-21T10:00", "Europe/Madrid")).toBe("2026-12-21T09:00:00Z");
    expect(zonedToInstant("2026-07-06T10:00", "Europe/Madrid")).toBe("2026-07-06T08:00:00Z");
    expect(zonedToInstant("2026-07-06T10:00", "America/New_York")).toBe("2026-07-06T14:00:00Z");
    expect(zonedToInstant("not a time", "UTC")).toBeNull();
  });

  it("reads a repeated hour as its first occurrence and a skipped one with the earlier offset", () => {
    // 25 October 2026: 03:00 CEST goes back to 02:00 CET; 02:30 happens twice.
    expect(zonedToInstant("2026-10-25T02:30", "Europe/Madrid")).toBe("2026-10-25T00:30:00Z");
    // 29 March 2026: 02:00 CET jumps to 03:00 CEST; 02:30 never happens.
    expect(zonedToInstant("2026-03-29T02:30", "Europe/Madrid")).toBe("2026-03-29T01:30:00Z");
  });

  it("shows now on the zone's clock", () => {
    const instant = Date.UTC(2026, 11, 21, 23, 30);
    expect(nowInZone("Europe/Madrid", instant)).toBe("2026-12-22T00:30");
    expect(nowInZone("America/New_York", instant)).toBe("2026-12-21T18:30");
  });
});
