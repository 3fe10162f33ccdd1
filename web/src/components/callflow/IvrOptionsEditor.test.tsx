import { cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/preact";
import { useState } from "preact/hooks";
import { afterEach, describe, expect, it, vi } from "vitest";
import { LocaleContext } from "../../i18n";
import type { Choice, ObjectKind } from "../DestinationPicker";
import { DIGITS, IvrOptionsEditor, duplicateRows, newOptionRow, optionRows, optionsBody, type OptionRow } from "./IvrOptionsEditor";

const RING_GROUPS: Choice[] = [
  { id: "rg-sales", label: "200 · Ventas" },
  { id: "rg-support", label: "201 · Soporte" },
];

/** The editor is controlled: this holds the rows the way the menu form does, and lets the
 * test read them back. */
function Harness({ initial, errors = {}, seen }: { initial: OptionRow[]; errors?: Record<string, string>; seen: (rows: OptionRow[]) => void }) {
  const [rows, setRows] = useState(initial);
  const load = async (_t: string, kind: ObjectKind): Promise<Choice[]> => (kind === "ring_group" ? RING_GROUPS : []);
  return (
    <IvrOptionsEditor
      tenant="t1"
      rows={rows}
      errors={errors}
      load={load}
      onChange={(r) => {
        seen(r);
        setRows(r);
      }}
    />
  );
}

function setup(initial: OptionRow[] = [], errors?: Record<string, string>) {
  let last: OptionRow[] = initial;
  render(<Harness initial={initial} errors={errors} seen={(r) => (last = r)} />);
  return { rows: () => last };
}

const option = (n: number) => screen.getByRole("group", { name: `Option ${n}` });
const digitOf = (n: number) => within(option(n)).getByLabelText("Key") as HTMLSelectElement;

async function sendToRingGroup(n: number, id: string) {
  const row = option(n);
  fireEvent.change(within(row).getByLabelText("Kind"), { target: { value: "ring_group" } });
  const objects = within(option(n)).getByLabelText("Ring group") as HTMLSelectElement;
  await waitFor(() => expect(within(objects).getAllByRole("option")).toHaveLength(RING_GROUPS.length + 1));
  fireEvent.change(objects, { target: { value: id } });
}

afterEach(cleanup);

describe("IvrOptionsEditor", () => {
  it("adds rows on the first free keys and builds the options body from them", async () => {
    const { rows } = setup();
    expect(screen.queryByRole("group", { name: "Option 1" })).toBeNull();
    expect(screen.getByText(/No options yet/)).toBeTruthy();

    fireEvent.click(screen.getByRole("button", { name: "Add option" }));
    fireEvent.click(screen.getByRole("button", { name: "Add option" }));
    await waitFor(() => expect(digitOf(2).value).toBe("2"));
    expect(digitOf(1).value).toBe("1");

    await sendToRingGroup(1, "rg-sales");
    fireEvent.change(within(option(2)).getByLabelText("Kind"), { target: { value: "hangup" } });
    fireEvent.change(digitOf(2), { target: { value: "0" } });

    await waitFor(() =>
      expect(optionsBody(rows())).toEqual([
        { digit: "1", destination: { type: "ring_group", id: "rg-sales" } },
        { digit: "0", destination: { type: "hangup" } },
      ]),
    );
  });

  it("removes the row asked for and keeps the others' choices", async () => {
    const { rows } = setup(
      optionRows([
        { digit: "1", destination: { type: "ring_group", id: "rg-sales" } },
        { digit: "2", destination: { type: "ring_group", id: "rg-support" } },
        { digit: "3", destination: { type: "hangup" } },
      ]),
    );
    await waitFor(() => expect((within(option(1)).getByLabelText("Ring group") as HTMLSelectElement).value).toBe("rg-sales"));

    fireEvent.click(within(option(2)).getByRole("button", { name: "Remove Option 2" }));
    await waitFor(() => expect(screen.queryByRole("group", { name: "Option 3" })).toBeNull());
    // The rows around it keep their keys and choices; what was option 3 is now option 2.
    expect(digitOf(1).value).toBe("1");
    expect((within(option(1)).getByLabelText("Ring group") as HTMLSelectElement).value).toBe("rg-sales");
    expect(digitOf(2).value).toBe("3");
    expect((within(option(2)).getByLabelText("Kind") as HTMLSelectElement).value).toBe("hangup");
    expect(optionsBody(rows())).toEqual([
      { digit: "1", destination: { type: "ring_group", id: "rg-sales" } },
      { digit: "3", destination: { type: "hangup" } },
    ]);
  });

  it("flags a key used twice on the later row, and clears it when fixed", async () => {
    setup(
      optionRows([
        { digit: "1", destination: { type: "hangup" } },
        { digit: "2", destination: { type: "hangup" } },
      ]),
    );
    expect(digitOf(2).getAttribute("aria-invalid")).toBeNull();

    fireEvent.change(digitOf(2), { target: { value: "1" } });
    await waitFor(() => expect(digitOf(2).getAttribute("aria-invalid")).toBe("true"));
    expect(digitOf(1).getAttribute("aria-invalid")).toBeNull();
    const message = document.getElementById(digitOf(2).getAttribute("aria-describedby")!);
    expect(message?.textContent).toBe("Key 1 is already used by another option.");

    fireEvent.change(digitOf(2), { target: { value: "#" } });
    await waitFor(() => expect(digitOf(2).getAttribute("aria-invalid")).toBeNull());
    expect(screen.queryByText(/already used/)).toBeNull();
  });

  it("shows the API's errors at the row and field they name", () => {
    setup(
      optionRows([
        { digit: "1", destination: { type: "hangup" } },
        { digit: "1", destination: { type: "ring_group", id: "gone" } },
      ]),
      { "options.1.digit": "another option already uses this key", "options.1.destination": "no such ring group", options: "too many" },
    );
    // The API's message replaces the local one, never both.
    const digit = digitOf(2);
    expect(document.getElementById(digit.getAttribute("aria-describedby")!)?.textContent).toBe("another option already uses this key");
    expect(screen.queryByText(/Key 1 is already used/)).toBeNull();
    expect(within(option(2)).getByText("no such ring group")).toBeTruthy();
    expect(within(option(1)).queryByText("no such ring group")).toBeNull();
    expect(screen.getByText("too many")).toBeTruthy();
  });

  it("stops adding at twelve options, one per key", async () => {
    const all = DIGITS.map((digit) => ({ digit, destination: { type: "hangup" as const } }));
    setup(optionRows(all.slice(0, 11)));
    const add = screen.getByRole("button", { name: "Add option" }) as HTMLButtonElement;
    expect(add.disabled).toBe(false);
    fireEvent.click(add);
    await waitFor(() => expect(digitOf(12).value).toBe("#"));
    expect((screen.getByRole("button", { name: "Add option" }) as HTMLButtonElement).disabled).toBe(true);
  });

  it("speaks Spanish when the app does", () => {
    render(
      <LocaleContext.Provider value={{ locale: "es", setLocale: () => {} }}>
        <Harness initial={optionRows([{ digit: "1", destination: { type: "hangup" } }])} seen={vi.fn()} />
      </LocaleContext.Provider>,
    );
    const row = screen.getByRole("group", { name: "Opción 1" });
    expect(within(row).getByLabelText("Tecla")).toBeTruthy();
    expect(within(row).getByRole("group", { name: "Va a" })).toBeTruthy();
    expect(screen.getByRole("button", { name: "Añadir opción" })).toBeTruthy();
  });
});

describe("option helpers", () => {
  it("finds the rows whose key an earlier row uses", () => {
    const rows = optionRows(["1", "2", "1", "2", "1"].map((digit) => ({ digit, destination: { type: "hangup" } })));
    expect([...duplicateRows(rows)]).toEqual([2, 3, 4]);
  });

  it("leaves rows without a destination out of the body", () => {
    const rows = [newOptionRow([]), ...optionRows([{ digit: "5", destination: { type: "hangup" } }])];
    expect(rows[0]?.destination).toBeNull();
    expect(optionsBody(rows)).toEqual([{ digit: "5", destination: { type: "hangup" } }]);
  });
});
