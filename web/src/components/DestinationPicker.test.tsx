import { cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/preact";
import type { ComponentProps } from "preact";
import { useState } from "preact/hooks";
import { afterEach, describe, expect, it, vi } from "vitest";
import { LocaleContext } from "../i18n";
import { DestinationPicker, filterChoices, type Choice, type Destination, type ObjectKind } from "./DestinationPicker";

const RING_GROUPS: Choice[] = [
  { id: "rg-1", label: "200 · Recepción" },
  { id: "rg-2", label: "201 · Ventas" },
  { id: "rg-3", label: "202 · Soporte técnico" },
];

type PickerProps = ComponentProps<typeof DestinationPicker>;

/** The picker is controlled: this holds its value the way a form would. */
function Harness({
  initial = null,
  onChange,
  ...rest
}: Partial<Omit<PickerProps, "value" | "onChange">> & { initial?: Destination | null; onChange: (d: Destination | null) => void }) {
  const [value, setValue] = useState<Destination | null>(initial);
  return (
    <DestinationPicker
      name="forwarding.always"
      label="Forward all calls to"
      tenant="t1"
      {...rest}
      value={value}
      onChange={(d) => {
        onChange(d);
        setValue(d);
      }}
    />
  );
}

function setup(props: Partial<ComponentProps<typeof Harness>> = {}) {
  const onChange = vi.fn<(d: Destination | null) => void>();
  const load = vi.fn(async (_tenant: string, kind: ObjectKind): Promise<Choice[]> => (kind === "ring_group" ? RING_GROUPS : []));
  render(<Harness load={load} onChange={onChange} {...props} />);
  return { onChange, load };
}

const optionLabels = (select: HTMLElement) =>
  within(select)
    .queryAllByRole("option")
    .filter((o) => !(o as HTMLOptionElement).disabled)
    .map((o) => o.textContent);

function chooseKind(kind: string) {
  fireEvent.change(screen.getByLabelText("Kind"), { target: { value: kind } });
}

afterEach(() => {
  cleanup();
  document.documentElement.lang = "";
});

describe("filterChoices", () => {
  it("answers everything for an empty or blank query", () => {
    expect(filterChoices(RING_GROUPS, "")).toEqual(RING_GROUPS);
    expect(filterChoices(RING_GROUPS, "   ")).toEqual(RING_GROUPS);
  });

  it("matches part of the label, ignoring case and accents on either side", () => {
    expect(filterChoices(RING_GROUPS, "recepcion")).toEqual([RING_GROUPS[0]]);
    expect(filterChoices(RING_GROUPS, "RECEPCIÓN")).toEqual([RING_GROUPS[0]]);
    expect(filterChoices(RING_GROUPS, "tecnico")).toEqual([RING_GROUPS[2]]);
    expect(filterChoices([{ id: "x", label: "Tecnico" }], "técnico")).toEqual([{ id: "x", label: "Tecnico" }]);
    expect(filterChoices(RING_GROUPS, " 20 ")).toEqual(RING_GROUPS);
    expect(filterChoices(RING_GROUPS, "201")).toEqual([RING_GROUPS[1]]);
    expect(filterChoices(RING_GROUPS, "marketing")).toEqual([]);
  });

  it("folds precomposed and decomposed accents alike", () => {
    const decomposed = [{ id: "d", label: "Recepcio\u0301n" }];
    expect(filterChoices(decomposed, "recepción")).toEqual(decomposed);
    expect(filterChoices(decomposed, "recepcion")).toEqual(decomposed);
  });
});

describe("DestinationPicker", () => {
  it("loads the tenant's ring groups, searches them and picks one", async () => {
    const { onChange, load } = setup();

    chooseKind("ring_group");
    expect(onChange).toHaveBeenLastCalledWith({ type: "ring_group", id: "" });
    expect(load).toHaveBeenCalledWith("t1", "ring_group");

    const objects = screen.getByLabelText("Ring group");
    await waitFor(() => expect(optionLabels(objects)).toEqual(RING_GROUPS.map((c) => c.label)));
    expect(objects.getAttribute("aria-busy")).toBeNull();

    fireEvent.input(screen.getByLabelText("Search"), { target: { value: "recepcion" } });
    await waitFor(() => expect(optionLabels(objects)).toEqual(["200 · Recepción"]));

    fireEvent.change(objects, { target: { value: "rg-1" } });
    expect(onChange).toHaveBeenLastCalledWith({ type: "ring_group", id: "rg-1" });
    await waitFor(() => expect((screen.getByLabelText("Ring group") as HTMLSelectElement).value).toBe("rg-1"));
    expect(load).toHaveBeenCalledTimes(1);
  });

  it("shows loading, then a note when a search matches nothing", async () => {
    let release!: (c: Choice[]) => void;
    const load = vi.fn(() => new Promise<Choice[]>((resolve) => (release = resolve)));
    setup({ load });

    chooseKind("ring_group");
    const objects = screen.getByLabelText("Ring group");
    expect(objects.getAttribute("aria-busy")).toBe("true");
    expect(within(objects).getByRole("option", { name: "Loading…" })).toBeTruthy();

    release(RING_GROUPS);
    await waitFor(() => expect(optionLabels(objects)).toHaveLength(3));

    fireEvent.input(screen.getByLabelText("Search"), { target: { value: "marketing" } });
    await waitFor(() => expect(optionLabels(objects)).toEqual([]));
    expect(within(objects).getByRole("option", { name: "Nothing yet." })).toBeTruthy();
  });

  it("clears the search when the kind changes", async () => {
    setup();
    chooseKind("ring_group");
    const search = screen.getByLabelText("Search") as HTMLInputElement;
    fireEvent.input(search, { target: { value: "ventas" } });
    await waitFor(() => expect(search.value).toBe("ventas"));

    chooseKind("queue");
    await waitFor(() => expect((screen.getByLabelText("Search") as HTMLInputElement).value).toBe(""));
    expect(screen.getByLabelText("Queue")).toBeTruthy();
    expect(screen.queryByLabelText("Ring group")).toBeNull();
  });

  it("never lists a previous kind's objects when an earlier load answers late", async () => {
    const pending: Record<string, (c: Choice[]) => void> = {};
    const load = vi.fn((_tenant: string, kind: ObjectKind) => new Promise<Choice[]>((resolve) => (pending[kind] = resolve)));
    const { onChange } = setup({ load });

    chooseKind("ring_group");
    chooseKind("queue");
    pending.queue!([{ id: "q-1", label: "300 · Cola general" }]);
    const objects = screen.getByLabelText("Queue");
    await waitFor(() => expect(optionLabels(objects)).toEqual(["300 · Cola general"]));

    pending.ring_group!(RING_GROUPS); // the slow, stale answer
    await new Promise((r) => setTimeout(r, 0));
    expect(optionLabels(screen.getByLabelText("Queue"))).toEqual(["300 · Cola general"]);

    fireEvent.change(screen.getByLabelText("Queue"), { target: { value: "q-1" } });
    expect(onChange).toHaveBeenLastCalledWith({ type: "queue", id: "q-1" });
  });

  it("asks for an outside number", async () => {
    const { onChange, load } = setup();

    chooseKind("external_number");
    expect(onChange).toHaveBeenLastCalledWith({ type: "external_number", number: "" });
    const number = await screen.findByLabelText("Number");
    expect(screen.queryByLabelText("Search")).toBeNull();

    fireEvent.input(number, { target: { value: "+34910000000" } });
    expect(onChange).toHaveBeenLastCalledWith({ type: "external_number", number: "+34910000000" });
    await waitFor(() => expect((screen.getByLabelText("Number") as HTMLInputElement).value).toBe("+34910000000"));
    expect(load).not.toHaveBeenCalled();
  });

  it("hangs up without asking anything else", () => {
    const { onChange, load } = setup();

    chooseKind("hangup");
    expect(onChange).toHaveBeenLastCalledWith({ type: "hangup" });
    expect(screen.queryByLabelText("Number")).toBeNull();
    expect(screen.queryByLabelText("Search")).toBeNull();
    expect(load).not.toHaveBeenCalled();
  });

  it("with optional, offers none, which answers null", async () => {
    const { onChange } = setup({ optional: true, initial: { type: "hangup" } });
    const kind = screen.getByLabelText("Kind") as HTMLSelectElement;
    expect(kind.value).toBe("hangup");
    expect(within(kind).getByRole("option", { name: "— none —" })).toBeTruthy();

    fireEvent.change(kind, { target: { value: "" } });
    expect(onChange).toHaveBeenLastCalledWith(null);
    await waitFor(() => expect((screen.getByLabelText("Kind") as HTMLSelectElement).value).toBe(""));
  });

  it("without optional, offers none only until something is chosen", () => {
    setup({ initial: { type: "hangup" } });
    expect(within(screen.getByLabelText("Kind")).queryByRole("option", { name: "— none —" })).toBeNull();
  });

  it("shows an existing value: its kind and the chosen object", async () => {
    const { load } = setup({ initial: { type: "ring_group", id: "rg-2" } });
    expect((screen.getByLabelText("Kind") as HTMLSelectElement).value).toBe("ring_group");
    expect(load).toHaveBeenCalledWith("t1", "ring_group");
    await waitFor(() => expect((screen.getByLabelText("Ring group") as HTMLSelectElement).value).toBe("rg-2"));
  });

  it("offers only the kinds it is given", () => {
    setup({ kinds: ["extension", "external_number"] });
    const options = within(screen.getByLabelText("Kind"))
      .getAllByRole("option")
      .map((o) => o.textContent);
    expect(options).toEqual(["— none —", "Extension", "Outside number"]);
  });

  it("renders the error and links it to the group", () => {
    setup({ error: "Not an E.164 number." });
    const group = screen.getByRole("group", { name: "Forward all calls to" });
    expect(group.getAttribute("aria-invalid")).toBe("true");
    const describedBy = group.getAttribute("aria-describedby");
    expect(describedBy).toBeTruthy();
    const message = document.getElementById(describedBy!);
    expect(message?.textContent).toBe("Not an E.164 number.");
    expect(screen.getByText("Not an E.164 number.")).toBe(message);
  });

  it("lists nothing, not a spinner for ever, when loading fails", async () => {
    setup({ load: vi.fn(async () => Promise.reject(new Error("network down"))) });
    chooseKind("ring_group");
    const objects = screen.getByLabelText("Ring group");
    await waitFor(() => expect(objects.getAttribute("aria-busy")).toBeNull());
    expect(optionLabels(objects)).toEqual([]);
  });

  it("has no error attributes without an error", () => {
    setup();
    const group = screen.getByRole("group", { name: "Forward all calls to" });
    expect(group.hasAttribute("aria-invalid")).toBe(false);
    expect(group.hasAttribute("aria-describedby")).toBe(false);
  });

  it("speaks Spanish when the app does", async () => {
    const load = vi.fn(async (_t: string, kind: ObjectKind): Promise<Choice[]> => (kind === "ring_group" ? RING_GROUPS : []));
    render(
      <LocaleContext.Provider value={{ locale: "es", setLocale: () => {} }}>
        <Harness load={load} onChange={vi.fn()} />
      </LocaleContext.Provider>,
    );
    const kind = screen.getByLabelText("Tipo");
    expect(within(kind).getByRole("option", { name: "— ninguno —" })).toBeTruthy();

    chooseKindEs("ring_group");
    expect(screen.getByLabelText("Buscar")).toBeTruthy();
    const objects = screen.getByLabelText("Grupo de timbrado");
    await waitFor(() => expect(optionLabels(objects)).toHaveLength(3));
  });
});

function chooseKindEs(kind: string) {
  fireEvent.change(screen.getByLabelText("Tipo"), { target: { value: kind } });
}

describe("loadChoices", () => {
  it("follows next_cursor until the last page", async () => {
    const page = (items: { id: string; number: string; name: string }[], next: string | null) =>
      new Response(JSON.stringify({ items, next_cursor: next }), { status: 200, headers: { "content-type": "application/json" } });
    const fetchMock = vi
      .fn<(input: Request) => Promise<Response>>()
      .mockResolvedValueOnce(page([{ id: "a", number: "200", name: "A" }, { id: "b", number: "201", name: "B" }], "c2"))
      .mockResolvedValueOnce(page([{ id: "c", number: "202", name: "C" }], null));
    vi.stubGlobal("fetch", fetchMock);
    try {
      const { loadChoices } = await import("./DestinationPicker");
      const choices = await loadChoices("t1", "ring_group");
      expect(choices.map((c) => c.id)).toEqual(["a", "b", "c"]);
      expect(fetchMock).toHaveBeenCalledTimes(2);
      const second = new URL(fetchMock.mock.calls[1]![0].url);
      expect(second.pathname).toBe("/v1/tenants/t1/ring-groups");
      expect(second.searchParams.get("cursor")).toBe("c2");
    } finally {
      vi.unstubAllGlobals();
    }
  });
});
