import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/preact";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Schemas } from "../../api/client";
import { Confirm } from "../Confirm";
import { intOrUndefined, rowInputs, unfinished } from "./destinations";
import { GreetingUpload, audioType } from "./Greeting";
import { memberRows, membersBody, newMemberRow } from "./MembersEditor";

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe("destination helpers", () => {
  it("tells unfinished destinations apart", () => {
    expect(unfinished(null)).toBe(true);
    expect(unfinished({ type: "ring_group", id: "" })).toBe(true);
    expect(unfinished({ type: "external_number", number: "  " })).toBe(true);
    expect(unfinished({ type: "ring_group", id: "rg-1" })).toBe(false);
    expect(unfinished({ type: "external_number", number: "+34910000000" })).toBe(false);
    expect(unfinished({ type: "hangup" })).toBe(false);
  });

  it("names every row's inputs for the problem mapper", () => {
    expect(rowInputs("members", 2, ["target", "delay_seconds"])).toEqual([
      "members",
      "members.0.target",
      "members.0.delay_seconds",
      "members.1.target",
      "members.1.delay_seconds",
    ]);
  });

  it("reads number inputs, blank meaning the default", () => {
    expect(intOrUndefined("")).toBeUndefined();
    expect(intOrUndefined("  ")).toBeUndefined();
    expect(intOrUndefined("30")).toBe(30);
    expect(intOrUndefined("700")).toBe(700);
  });
});

describe("ring group members", () => {
  it("turns rows into API members, outside numbers trimmed and blank timings left to the API", () => {
    const rows = [
      ...memberRows([{ target: { type: "extension", id: "e1" }, delay_seconds: 5, timeout_seconds: 25 }]),
      { ...newMemberRow(), target: { type: "external_number" as const, number: " +34910000001 " }, delay: "", timeout: "" },
      { ...newMemberRow(), target: null },
    ];
    expect(membersBody(rows)).toEqual([
      { target: { type: "extension", id: "e1" }, delay_seconds: 5, timeout_seconds: 25 },
      { target: { type: "external_number", number: "+34910000001" } },
    ]);
  });
});

describe("Confirm", () => {
  it("acts only after the second click, and can be cancelled", async () => {
    const onConfirm = vi.fn(async () => {});
    render(<Confirm action="Delete" name="200 · Ventas" question="Delete 200 · Ventas?" confirm="Yes, delete" onConfirm={onConfirm} />);
    fireEvent.click(screen.getByRole("button", { name: "Delete 200 · Ventas" }));
    expect(screen.getByRole("group", { name: "Delete 200 · Ventas?" })).toBeTruthy();
    await waitFor(() => expect(document.activeElement).toBe(screen.getByRole("button", { name: "Yes, delete" })));

    fireEvent.click(screen.getByRole("button", { name: "Cancel" }));
    await waitFor(() => expect(document.activeElement).toBe(screen.getByRole("button", { name: "Delete 200 · Ventas" })));
    expect(onConfirm).not.toHaveBeenCalled();

    fireEvent.click(screen.getByRole("button", { name: "Delete 200 · Ventas" }));
    fireEvent.click(screen.getByRole("button", { name: "Yes, delete" }));
    await waitFor(() => expect(onConfirm).toHaveBeenCalledTimes(1));
  });
});

/** A picked file; jsdom's File lacks `arrayBuffer()`, which every browser has. */
function picked(bytes: Uint8Array<ArrayBuffer>, name: string, type: string): File {
  return Object.assign(new File([bytes], name, { type }), { arrayBuffer: async () => bytes.slice().buffer });
}

describe("greeting upload", () => {
  const menu = { id: "m-1", version: 7 } as Schemas["IvrMenuView"];

  it("declares the audio type from the file, or from its extension when the browser gives none", () => {
    expect(audioType({ name: "hola.wav", type: "audio/x-wav" })).toBe("audio/x-wav");
    expect(audioType({ name: "HOLA.WAV", type: "" })).toBe("audio/wav");
    expect(audioType({ name: "menu.mp3", type: "" })).toBe("audio/mpeg");
    expect(audioType({ name: "menu.ogg", type: "" })).toBe("audio/ogg");
    expect(audioType({ name: "notes.txt", type: "" })).toBe("application/octet-stream");
  });

  it("PUTs the file's bytes with its audio type and the menu's version", async () => {
    const sent: Request[] = [];
    const fetchMock = vi.fn(async (req: Request) => {
      sent.push(req);
      return new Response(JSON.stringify({ ...menu, version: 8 }), { status: 200, headers: { "content-type": "application/json" } });
    });
    vi.stubGlobal("fetch", fetchMock);
    const onUploaded = vi.fn();
    render(<GreetingUpload tenant="t-1" menu={menu} onUploaded={onUploaded} />);

    const bytes = new Uint8Array([82, 73, 70, 70, 1, 2, 3]);
    const input = screen.getByLabelText("Audio file") as HTMLInputElement;
    fireEvent.change(input, { target: { files: [picked(bytes, "hola.wav", "audio/wav")] } });
    fireEvent.click(screen.getByRole("button", { name: "Upload" }));

    await waitFor(() => expect(onUploaded).toHaveBeenCalledWith({ ...menu, version: 8 }));
    const req = sent[0]!;
    expect(req.method).toBe("PUT");
    expect(new URL(req.url).pathname).toBe("/v1/tenants/t-1/ivr-menus/m-1/greeting");
    expect(req.headers.get("content-type")).toBe("audio/wav");
    expect(req.headers.get("if-match")).toBe('"7"');
    expect(new Uint8Array(await req.arrayBuffer())).toEqual(bytes);
    expect(screen.getByRole("status").textContent).toContain("Recording uploaded");
  });

  it("shows the API's complaint at the file input and reports nothing uploaded", async () => {
    vi.stubGlobal(
      "fetch",
      vi.fn(
        async () =>
          new Response(
            JSON.stringify({ status: 422, title: "Invalid input", errors: [{ field: "body", code: "invalid_audio", message: "the body is not audio/wav audio" }] }),
            { status: 422, headers: { "content-type": "application/problem+json" } },
          ),
      ),
    );
    const onUploaded = vi.fn();
    render(<GreetingUpload tenant="t-1" menu={menu} onUploaded={onUploaded} />);
    const input = screen.getByLabelText("Audio file") as HTMLInputElement;
    fireEvent.change(input, { target: { files: [picked(new TextEncoder().encode("not audio"), "fake.wav", "audio/wav")] } });
    fireEvent.click(screen.getByRole("button", { name: "Upload" }));

    await waitFor(() => expect(input.getAttribute("aria-invalid")).toBe("true"));
    expect(document.getElementById("f-greeting-file-error")?.textContent).toBe("the body is not audio/wav audio");
    expect(onUploaded).not.toHaveBeenCalled();
    expect(screen.queryByRole("status")).toBeNull();
  });

  it("asks for a file before sending anything", async () => {
    const fetchMock = vi.fn();
    vi.stubGlobal("fetch", fetchMock);
    render(<GreetingUpload tenant="t-1" menu={menu} onUploaded={vi.fn()} />);
    fireEvent.click(screen.getByRole("button", { name: "Upload" }));
    await screen.findByRole("alert");
    expect(screen.getByRole("alert").textContent).toBe("Choose an audio file first.");
    expect(fetchMock).not.toHaveBeenCalled();
  });
});
