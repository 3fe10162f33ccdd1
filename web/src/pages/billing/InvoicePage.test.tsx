import { cleanup, fireEvent, render, screen, within } from "@testing-library/preact";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Schemas } from "../../api/client";
import { dayBefore, isNegative, money, period } from "./strings";

// The page reads the invoice and the tenant through the API client: answer both here.
const GET = vi.fn();
vi.mock("../../api/client", () => ({ api: { GET: (...args: unknown[]) => GET(...args) } }));
const { InvoicePage } = await import("./InvoicePage");

const ok = <T,>(data: T) => ({ data, response: new Response(null, { status: 200 }) });

const invoice: Schemas["InvoiceView"] = {
  id: "inv-1",
  tenant_id: "t-1",
  status: "issued",
  number: "2026-0007",
  period_start: "2026-11-01",
  period_end: "2026-12-01",
  currency: "EUR",
  // Beyond what a double holds exactly: shown as given, never re-computed.
  subtotal: "12345678901234.10",
  tax_rate: "21.00",
  tax: "2592592569259.16",
  total: "14938271470493.26",
  paid: "0.00",
  due: "14938271470493.26",
  issued_at: "2026-12-01T08:00:00Z",
  due_on: "2026-12-15",
  lines: [
    { kind: "calls", description: "Spain mobile", quantity: 42, amount: "12345678901233.90" },
    { kind: "did_fees", description: "+34910000000 monthly", quantity: 1, amount: "0.20" },
  ],
  created_at: "2026-12-01T00:00:01Z",
  version: 2,
};

beforeEach(() => {
  GET.mockImplementation(async (path: string) =>
    path.endsWith("{invoice_id}") ? ok(invoice) : ok({ id: "t-1", name: "Cuentas SA", slug: "cuentas", status: "active" }),
  );
});
afterEach(() => {
  cleanup();
  vi.restoreAllMocks();
});

describe("the printable invoice", () => {
  it("shows the lines, tax and totals exactly as the API gives them", async () => {
    render(<InvoicePage tenant="t-1" id="inv-1" />);
    await screen.findByRole("heading", { name: "Invoice 2026-0007", level: 1 });
    expect(GET).toHaveBeenCalledWith("/v1/tenants/{tenant_id}/invoices/{invoice_id}", {
      params: { path: { tenant_id: "t-1", invoice_id: "inv-1" } },
    });
    await screen.findByText("Cuentas SA");
    // The period's end is exclusive: people read the last day.
    expect(screen.getByText("Nov 1, 2026 – Nov 30, 2026")).toBeTruthy();

    const lines = screen.getAllByRole("table")[0]!;
    const rows = within(lines).getAllByRole("row").map((r) => r.textContent);
    expect(rows).toEqual([
      "DescriptionKindQuantityAmount",
      "Spain mobileCalls4212345678901233.90 EUR",
      "+34910000000 monthlyNumber fees10.20 EUR",
    ]);
    expect(screen.getByTestId("invoice-total").textContent).toBe("14938271470493.26 EUR");
    expect(screen.getByRole("rowheader", { name: "Tax (21.00 %)" })).toBeTruthy();
    expect(screen.getByText("2592592569259.16 EUR")).toBeTruthy();
  });

  it("prints with the Print button", async () => {
    const print = vi.spyOn(window, "print").mockImplementation(() => {});
    render(<InvoicePage tenant="t-1" id="inv-1" />);
    fireEvent.click(await screen.findByRole("button", { name: "Print" }));
    expect(print).toHaveBeenCalledOnce();
  });

  it("is the not-found page for an invoice the API does not show", async () => {
    GET.mockResolvedValue({ error: { status: 404, title: "Not Found" }, response: new Response(null, { status: 404 }) });
    render(<InvoicePage tenant="t-1" id="nope" />);
    await screen.findByRole("heading", { name: "Not found" });
  });
});

describe("money and dates", () => {
  it("keeps amounts as strings and tells the sign without arithmetic", () => {
    expect(money("0.10", "EUR")).toBe("0.10 EUR");
    expect(isNegative("-0.25")).toBe(true);
    expect(isNegative("-0.00")).toBe(false);
    expect(isNegative("100.50")).toBe(false);
  });

  it("reads an exclusive period end as its last day, across months and years", () => {
    expect(dayBefore("2026-03-01")).toBe("2026-02-28");
    expect(dayBefore("2027-01-01")).toBe("2026-12-31");
    expect(period("2026-02-15", "2026-03-15", "es")).toBe("15 feb 2026 – 14 mar 2026");
  });
});
