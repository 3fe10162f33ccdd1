import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/preact";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Schemas } from "../../api/client";

type Import = Schemas["RateImportView"];

const mocks = vi.hoisted(() => ({ get: vi.fn(), authFetch: vi.fn() }));
vi.mock("../../api/client", () => ({ api: { GET: mocks.get } }));
vi.mock("../../api/session", () => ({ authFetch: mocks.authFetch }));

import { RateDeckImport } from "./RateDeckImport";

const queued: Import = {
  id: "11111111-1111-4111-8111-111111111111",
  deck_id: "d",
  dry_run: false,
  activate: true,
  status: "queued",
  size_bytes: 1000,
  rows: 0,
  bad_rows: 0,
  errors: [],
  created_at: "2026-01-01T00:00:00Z",
};
const answer = (data: Import) => ({ data, response: new Response(null, { status: 200 }) });

function chooseFile(text: string) {
  const input = screen.getByLabelText("CSV file") as HTMLInputElement;
  Object.defineProperty(input, "files", { value: [new File([text], "rates.csv", { type: "text/csv" })], configurable: true });
  fireEvent.change(input);
}

afterEach(() => {
  cleanup();
  vi.clearAllMocks();
});

describe("RateDeckImport", () => {
  it("sends the file as text/csv with its options, polls until the import ends and shows each bad line", async () => {
    mocks.authFetch.mockResolvedValue(new Response(JSON.stringify(queued), { status: 202 }));
    mocks.get
      .mockResolvedValueOnce(answer({ ...queued, status: "running", progress: { done: 400, total: 1000 } }))
      .mockResolvedValueOnce(
        answer({
          ...queued,
          status: "rejected",
          rows: 3,
          bad_rows: 2,
          errors: [
            { line: 2, reason: "prefix must be digits only" },
            { line: 4, reason: "rate is negative" },
          ],
          next_after_line: 4,
        }),
      )
      .mockResolvedValueOnce(answer({ ...queued, status: "rejected", errors: [{ line: 9, reason: "rate is empty" }], next_after_line: null }));
    const onFinished = vi.fn();
    render(<RateDeckImport tenant="t" deck="d" resume={null} onFinished={onFinished} />);
    chooseFile("prefix,destination,rate\n");
    fireEvent.click(screen.getByLabelText("Make the new version active when it is ready"));
    fireEvent.click(screen.getByRole("button", { name: "Upload" }));

    await screen.findByText("Waiting to start…");
    const req = mocks.authFetch.mock.calls[0]![0] as Request;
    expect(req.method).toBe("POST");
    expect(new URL(req.url).pathname + new URL(req.url).search).toBe("/v1/tenants/t/rate-decks/d/imports?activate=true");
    expect(req.headers.get("content-type")).toBe("text/csv");

    await screen.findByText(/Read 400 B of 1\.0 kB \(40 %\)/, undefined, { timeout: 3000 });
    await screen.findByText(/2 of 3 lines are bad/, undefined, { timeout: 3000 });
    expect(onFinished).toHaveBeenCalledTimes(1);
    expect(document.querySelector('tr[data-line="2"]')?.textContent).toContain("prefix must be digits only");
    expect(document.querySelector('tr[data-line="4"]')?.textContent).toContain("rate is negative");
    expect(screen.queryByRole("progressbar")).toBeNull();

    // The next page of bad lines is added below the first.
    fireEvent.click(screen.getByRole("button", { name: "Show more bad lines" }));
    await waitFor(() => expect(document.querySelector('tr[data-line="9"]')).not.toBeNull());
    expect(mocks.get.mock.calls[2]![1].params.query).toEqual({ after_line: 4 });
    expect(screen.queryByRole("button", { name: "Show more bad lines" })).toBeNull();
    expect(mocks.get).toHaveBeenCalledTimes(3);
  });

  it("shows the API's problem when the upload is refused", async () => {
    const problem = { status: 413, title: "Payload too large", detail: "Larger than 256 MiB", code: "too_large", errors: [] };
    mocks.authFetch.mockResolvedValue(new Response(JSON.stringify(problem), { status: 413 }));
    render(<RateDeckImport tenant="t" deck="d" resume={null} onFinished={() => {}} />);
    chooseFile("x");
    fireEvent.click(screen.getByRole("button", { name: "Upload" }));
    expect((await screen.findByRole("alert")).textContent).toBe("Larger than 256 MiB");
    expect(mocks.get).not.toHaveBeenCalled();
  });

  it("follows an import already running when the page opens", async () => {
    mocks.get.mockResolvedValue(answer({ ...queued, status: "succeeded", rows: 5, version: 3 }));
    const onFinished = vi.fn();
    render(<RateDeckImport tenant="t" deck="d" resume={queued.id} onFinished={onFinished} />);
    await screen.findByText("Version 3 made with 5 rates, and it is now active.");
    expect(onFinished).toHaveBeenCalledTimes(1);
  });
});
