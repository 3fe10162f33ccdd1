import { cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/preact";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Schemas } from "../../api/client";
import type { Choice, ObjectKind } from "../../components/DestinationPicker";
import { agentRows, agentsBody, conferenceBody, newAgentRow, pinValue } from "./bodies";
import { ConferenceForm } from "./ConferenceForm";
import { QueueForm } from "./QueueForm";

afterEach(cleanup);

const EXTENSIONS: Choice[] = [
  { id: "e-1", label: "1001 · Ana" },
  { id: "e-2", label: "1002 · Bruno" },
];
const IVRS: Choice[] = [{ id: "m-1", label: "500 · Main menu" }];
const load = async (_t: string, kind: ObjectKind): Promise<Choice[]> => (kind === "extension" ? EXTENSIONS : kind === "ivr_menu" ? IVRS : []);

describe("queue bodies", () => {
  it("sends chosen agents with their tiers, a blank tier left to the API", () => {
    const rows = [...agentRows([{ extension_id: "e-1", tier: 2 }]), { ...newAgentRow(), extension: { type: "extension" as const, id: "e-2" }, tier: " " }, newAgentRow()];
    expect(agentsBody(rows)).toEqual([{ extension_id: "e-1", tier: 2 }, { extension_id: "e-2" }]);
  });
});

describe("QueueForm", () => {
  it("builds the body from two picked agents and a timeout destination", async () => {
    const send = vi.fn(async (body: Schemas["CreateQueue"]) => ({ data: { id: "q-1", ...body } as unknown as Schemas["QueueView"] }));
    const onSaved = vi.fn();
    render(<QueueForm tenant="t1" onSaved={onSaved} send={send} load={load} />);
    fireEvent.input(screen.getByLabelText("Number"), { target: { value: " 700 " } });
    fireEvent.input(screen.getByLabelText("Name"), { target: { value: "Soporte" } });
    fireEvent.change(screen.getByLabelText("Strategy"), { target: { value: "longest_idle" } });
    const agent1 = screen.getByRole("group", { name: "Agent 1" });
    await waitFor(() => expect(within(agent1).getByRole("option", { name: "1001 · Ana" })).toBeTruthy());
    fireEvent.change(within(agent1).getByLabelText("Extension", { selector: "select[id$=object]" }), { target: { value: "e-1" } });
    fireEvent.click(screen.getByRole("button", { name: "Add agent" }));
    const agent2 = screen.getByRole("group", { name: "Agent 2" });
    await waitFor(() => expect(within(agent2).getByRole("option", { name: "1002 · Bruno" })).toBeTruthy());
    fireEvent.change(within(agent2).getByLabelText("Extension", { selector: "select[id$=object]" }), { target: { value: "e-2" } });
    fireEvent.input(within(agent2).getByLabelText("Tier"), { target: { value: "2" } });
    const timeout = screen.getByRole("group", { name: "When the wait is over" });
    fireEvent.change(within(timeout).getByLabelText("Kind"), { target: { value: "ivr_menu" } });
    await waitFor(() => expect(within(timeout).getByRole("option", { name: "500 · Main menu" })).toBeTruthy());
    fireEvent.change(within(timeout).getByLabelText("IVR menu"), { target: { value: "m-1" } });
    fireEvent.click(screen.getByRole("button", { name: "Create" }));

    await waitFor(() => expect(send).toHaveBeenCalledTimes(1));
    expect(send.mock.calls[0]?.[0]).toEqual({
      number: "700",
      name: "Soporte",
      strategy: "longest_idle",
      agents: [
        { extension_id: "e-1", tier: 1 },
        { extension_id: "e-2", tier: 2 },
      ],
      max_wait_seconds: 300,
      wrap_up_seconds: 10,
      music_on_hold: "default",
      timeout_destination: { type: "ivr_menu", id: "m-1" },
    });
    expect(onSaved).toHaveBeenCalled();
  });

  it("does not send an agent row without an extension, and says so at the row", async () => {
    const send = vi.fn();
    render(<QueueForm tenant="t1" onSaved={() => {}} send={send} load={load} />);
    fireEvent.input(screen.getByLabelText("Number"), { target: { value: "700" } });
    fireEvent.click(screen.getByRole("button", { name: "Create" }));
    await screen.findByRole("alert");
    expect(document.querySelector("#f-agents\\.0\\.extension_id-error")?.textContent).toBe("Choose where calls go.");
    expect(send).not.toHaveBeenCalled();
  });

  it("shows the API's field errors at the agent row and the number", async () => {
    const send = vi.fn(async () => ({
      error: {
        title: "Invalid",
        status: 422,
        errors: [
          { field: "number", code: "number_taken", message: "is used by extension 1001" },
          { field: "agents[0].extension_id", code: "not_found", message: "no such extension" },
        ],
      },
    }));
    render(<QueueForm tenant="t1" onSaved={() => {}} send={send} load={load} />);
    const agent1 = screen.getByRole("group", { name: "Agent 1" });
    await waitFor(() => expect(within(agent1).getByRole("option", { name: "1001 · Ana" })).toBeTruthy());
    fireEvent.change(within(agent1).getByLabelText("Extension", { selector: "select[id$=object]" }), { target: { value: "e-1" } });
    fireEvent.click(screen.getByRole("button", { name: "Create" }));
    await screen.findByRole("alert");
    expect(document.querySelector("#f-number-error")?.textContent).toBe("is used by extension 1001");
    expect(document.querySelector("#f-agents\\.0\\.extension_id-error")?.textContent).toBe("no such extension");
  });
});

describe("conference PINs", () => {
  it("leaves a blank PIN out, and clears one only when asked on edit", () => {
    expect(pinValue("", { editing: false })).toBeUndefined();
    expect(pinValue(" 1234 ", { editing: false })).toBe("1234");
    expect(pinValue("", { editing: true })).toBeUndefined();
    expect(pinValue("9999", { editing: true, remove: true })).toBeNull();
    const input = { number: "800", name: "Sala", pin: "", removePin: false, moderatorPin: "", removeModeratorPin: false, maxMembers: "" };
    expect(conferenceBody(input, false)).toEqual({ number: "800", name: "Sala" });
    expect(conferenceBody({ ...input, pin: "2468", maxMembers: "10" }, false)).toEqual({ number: "800", name: "Sala", pin: "2468", max_members: 10 });
  });

  const room: Schemas["ConferenceView"] = {
    id: "c-1",
    number: "800",
    name: "Sala",
    has_pin: true,
    has_moderator_pin: false,
    max_members: 50,
    created_at: "2026-01-01T00:00:00Z",
    updated_at: "2026-01-01T00:00:00Z",
    version: 3,
  };

  it("on edit keeps the PIN when the field is blank, removes it with the checkbox, and never shows it", async () => {
    const send = vi.fn(async () => ({ data: room }));
    render(<ConferenceForm tenant="t1" conference={room} onSaved={() => {}} send={send} />);
    const pin = screen.getByLabelText("PIN") as HTMLInputElement;
    expect(pin.type).toBe("password");
    expect(pin.value).toBe("");
    fireEvent.click(screen.getByRole("button", { name: "Save" }));
    await waitFor(() => expect(send).toHaveBeenCalledTimes(1));
    expect(send.mock.calls[0]).toEqual([{ number: "800", name: "Sala", max_members: 50 }]);
    await screen.findByRole("status");

    fireEvent.input(pin, { target: { value: "1357" } });
    fireEvent.click(screen.getByLabelText("Remove the PIN (open room)"));
    expect(pin.disabled).toBe(true);
    fireEvent.click(screen.getByRole("button", { name: "Save" }));
    await waitFor(() => expect(send).toHaveBeenCalledTimes(2));
    expect(send.mock.calls[1]).toEqual([{ number: "800", name: "Sala", max_members: 50, pin: null }]);
    // After the save the typed PIN is gone from the page.
    await waitFor(() => expect(pin.value).toBe(""));
  });
});
