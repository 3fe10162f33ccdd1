import { cleanup, fireEvent, render, screen, within } from "@testing-library/preact";
import { useState } from "preact/hooks";
import { afterEach, describe, expect, it, vi } from "vitest";
import { LocaleContext } from "../../i18n";
import { editorToSchedule, emptyEditor, scheduleToEditor, type EditorState, type Schedule } from "./model";
import { ScheduleEditor } from "./ScheduleEditor";
import { filterZones } from "./TimeZoneSelect";

/** The editor is controlled: this holds its state as the form does, and reports each change. */
function Harness({ initial, onChange, submitted }: { initial: EditorState; onChange: (s: EditorState) => void; submitted?: boolean }) {
  const [value, setValue] = useState(initial);
  return (
    <ScheduleEditor
      name="schedule"
      value={value}
      submitted={submitted}
      onChange={(next) => {
        onChange(next);
        setValue(next);
      }}
    />
  );
}

function setup(initial: EditorState = emptyEditor("Europe/Madrid"), submitted = false) {
  const onChange = vi.fn<(s: EditorState) => void>();
  render(<Harness initial={initial} onChange={onChange} submitted={submitted} />);
  /** The schedule the form would send now. */
  const sent = () => editorToSchedule(onChange.mock.lastCall![0]);
  return { onChange, sent };
}

const day = (name: string) => screen.getByRole("group", { name });
const times = (name: string) =>
  within(day(name))
    .queryAllByLabelText(/^(Opens|Closes)/)
    .map((i) => (i as HTMLInputElement).value);
const setTime = (el: HTMLElement, value: string) => fireEvent.input(el, { target: { value } });

afterEach(cleanup);

describe("ScheduleEditor", () => {
  it("builds Monday's split hours, copies them to Tuesday–Friday, and sends one rule", () => {
    const { sent } = setup();
    const monday = day("Monday");
    expect(within(monday).getByText("Closed")).toBeTruthy();

    fireEvent.click(within(monday).getByRole("button", { name: "Add hours Monday" }));
    setTime(within(monday).getByLabelText("Opens Monday 1"), "09:00");
    setTime(within(monday).getByLabelText("Closes Monday 1"), "14:00");
    fireEvent.click(within(monday).getByRole("button", { name: "Add hours Monday" }));
    setTime(within(monday).getByLabelText("Opens Monday 2"), "16:00");
    setTime(within(monday).getByLabelText("Closes Monday 2"), "19:00");
    fireEvent.click(screen.getByRole("button", { name: "Copy Monday's hours to Tuesday–Friday" }));

    expect(times("Friday")).toEqual(["09:00", "14:00", "16:00", "19:00"]);
    expect(times("Saturday")).toEqual([]);
    expect(sent()).toEqual({
      time_zone: "Europe/Madrid",
      rules: [{ weekdays: ["mon-fri"], times: ["09:00-14:00", "16:00-19:00"] }],
      exceptions: [],
    });
  });

  it("shows an existing schedule: hours per day, holidays, and other rules read-only", () => {
    const schedule: Schedule = {
      time_zone: "Europe/Madrid",
      rules: [
        { weekdays: ["mon-fri"], times: ["09:00-14:00", "16:00-19:00"] },
        { weekdays: ["sat"], times: ["10:00-24:00"] },
        { weekdays: ["mon-fri"], times: ["08:00-15:00"], months: ["jul-aug"] },
      ],
      exceptions: [{ dates: ["2026-12-25"] }, { dates: ["2026-12-31"], times: ["14:00-24:00"] }],
    };
    setup(scheduleToEditor(schedule));

    expect((screen.getByLabelText("Time zone") as HTMLSelectElement).value).toBe("Europe/Madrid");
    expect(times("Wednesday")).toEqual(["09:00", "14:00", "16:00", "19:00"]);
    expect(times("Saturday")).toEqual(["10:00", "00:00"]);
    expect(within(day("Sunday")).getByText("Closed")).toBeTruthy();
    expect(within(day("Holidays and closures")).getByText("Fri, Dec 25, 2026")).toBeTruthy();

    const kept = within(day("Other rules"));
    expect(kept.getByText("Months: jul-aug · Days: mon-fri · Hours: 08:00-15:00")).toBeTruthy();
    expect(kept.queryByRole("textbox")).toBeNull();
    expect(within(day("Other exceptions")).getByText("Dates: 2026-12-31 · Hours: 14:00-24:00")).toBeTruthy();
  });

  it("keeps the rules it cannot show when the hours change, and drops one only when told", () => {
    const schedule: Schedule = {
      time_zone: "UTC",
      rules: [
        { weekdays: ["mon"], times: ["09:00-17:00"] },
        { month_days: ["1-15"], times: ["22:00-06:00"] },
      ],
      exceptions: [{ weekdays: ["mon"], dates: ["2026-04-06"] }],
    };
    const { sent, onChange } = setup(scheduleToEditor(schedule));
    setTime(within(day("Monday")).getByLabelText("Closes Monday 1"), "18:00");
    expect(sent()).toEqual({
      time_zone: "UTC",
      rules: [
        { weekdays: ["mon"], times: ["09:00-18:00"] },
        { month_days: ["1-15"], times: ["22:00-06:00"] },
      ],
      exceptions: [{ weekdays: ["mon"], dates: ["2026-04-06"] }],
    });

    fireEvent.click(within(day("Other rules")).getByRole("button", { name: /^Remove rule/ }));
    expect(onChange.mock.lastCall![0].keptRules).toEqual([]);
    expect(screen.queryByRole("group", { name: "Other rules" })).toBeNull();
  });

  it("adds holidays as exceptions, refuses bad ones, and removes them", () => {
    const initial = scheduleToEditor({ time_zone: "Europe/Madrid", rules: [{ weekdays: ["mon-fri"], times: ["09:00-17:00"] }] });
    const { sent } = setup(initial);
    const holidays = within(day("Holidays and closures"));
    expect(holidays.getByText("No holidays.")).toBeTruthy();
    const from = holidays.getByLabelText("Date (or first day)");
    const to = holidays.getByLabelText("Last day (for a range; optional)");
    const add = holidays.getByRole("button", { name: "Add holiday" });

    fireEvent.click(add);
    expect(holidays.getByRole("alert").textContent).toBe("Enter a date.");

    setTime(from, "2026-12-25");
    fireEvent.click(add);
    setTime(from, "2026-08-10");
    setTime(to, "2026-08-21");
    fireEvent.keyDown(to, { key: "Enter" });
    expect(sent().exceptions).toEqual([{ dates: ["2026-08-10..2026-08-21"] }, { dates: ["2026-12-25"] }]);
    expect(holidays.queryByRole("alert")).toBeNull();

    setTime(from, "2026-12-25");
    fireEvent.click(add);
    expect(holidays.getByRole("alert").textContent).toBe("That holiday is already in the list.");
    setTime(from, "2026-12-26");
    setTime(to, "2026-12-24");
    fireEvent.click(add);
    expect(holidays.getByRole("alert").textContent).toBe("The last day is before the first.");
    expect(sent().exceptions).toHaveLength(2);

    fireEvent.click(holidays.getByRole("button", { name: "Remove holiday 2026-12-25" }));
    expect(sent().exceptions).toEqual([{ dates: ["2026-08-10..2026-08-21"] }]);
  });

  it("flags an interval that ends before it starts and overlapping intervals at the inputs", () => {
    setup();
    const tuesday = day("Tuesday");
    const addHours = within(tuesday).getByRole("button", { name: "Add hours Tuesday" });
    fireEvent.click(addHours);
    setTime(within(tuesday).getByLabelText("Opens Tuesday 1"), "17:00");
    setTime(within(tuesday).getByLabelText("Closes Tuesday 1"), "09:00");
    const opens = within(tuesday).getByLabelText("Opens Tuesday 1");
    expect(opens.getAttribute("aria-invalid")).toBe("true");
    expect(document.getElementById(opens.getAttribute("aria-describedby")!)?.textContent).toBe(
      "It ends before it starts (an end of 00:00 is midnight).",
    );

    setTime(within(tuesday).getByLabelText("Opens Tuesday 1"), "08:00");
    setTime(within(tuesday).getByLabelText("Closes Tuesday 1"), "12:00");
    expect(within(tuesday).queryByText(/ends before/)).toBeNull();
    fireEvent.click(addHours);
    setTime(within(tuesday).getByLabelText("Opens Tuesday 2"), "11:00");
    setTime(within(tuesday).getByLabelText("Closes Tuesday 2"), "15:00");
    expect(within(tuesday).getAllByText("It overlaps another interval of the same day.")).toHaveLength(2);

    setTime(within(tuesday).getByLabelText("Opens Tuesday 2"), "12:00");
    expect(within(tuesday).queryByText(/overlaps/)).toBeNull();
    expect(within(tuesday).queryAllByLabelText(/^Opens/).every((i) => i.getAttribute("aria-invalid") === null)).toBe(true);
  });

  it("asks for open hours once the user tried to save an empty week", () => {
    setup(emptyEditor("UTC"), true);
    expect(screen.getByText("Add at least one open interval.")).toBeTruthy();
  });

  it("narrows the time zones by search and changes the zone", () => {
    const { onChange } = setup(emptyEditor("UTC"));
    fireEvent.input(screen.getByLabelText("Search time zones"), { target: { value: "new york" } });
    const select = screen.getByLabelText("Time zone") as HTMLSelectElement;
    const options = within(select)
      .getAllByRole("option")
      .map((o) => o.textContent);
    expect(options).toEqual(["UTC", "America/New_York"]);
    fireEvent.change(select, { target: { value: "America/New_York" } });
    expect(onChange.mock.lastCall![0].timeZone).toBe("America/New_York");
    expect(filterZones(["Europe/Madrid", "Atlantic/Canary"], "madrid", "Atlantic/Canary")).toEqual(["Atlantic/Canary", "Europe/Madrid"]);
  });

  it("speaks Spanish when the app does", () => {
    render(
      <LocaleContext.Provider value={{ locale: "es", setLocale: () => {} }}>
        <Harness initial={scheduleToEditor({ time_zone: "UTC", rules: [{ weekdays: ["mon"], times: ["09:00-17:00"] }] })} onChange={vi.fn()} />
      </LocaleContext.Provider>,
    );
    const lunes = screen.getByRole("group", { name: "Lunes" });
    expect((within(lunes).getByLabelText("Abre Lunes 1") as HTMLInputElement).value).toBe("09:00");
    expect(within(screen.getByRole("group", { name: "Martes" })).getByText("Cerrado")).toBeTruthy();
    expect(screen.getByRole("group", { name: "Festivos y cierres" })).toBeTruthy();
  });
});
