// An invoice's printable page: who is billed, the period, the lines, tax and totals as the
// API computed them (shown exactly as given), and a Print button. The print stylesheet
// (end of styles.css) hides the app's header and the page's own controls.

import { useContext } from "preact/hooks";
import { api, type Schemas } from "../../api/client";
import { Show, useLoad } from "../../components/load";
import { LocaleContext, useStrings } from "../../i18n";
import { BILLING_STRINGS, formatDate, formatInstant, money, period, type BillingKey } from "./strings";

type Invoice = Schemas["InvoiceView"];

const LINE_KINDS: Record<string, BillingKey> = {
  calls: "line_calls",
  did_fees: "line_did_fees",
  adjustments: "line_adjustments",
};

export function InvoicePage({ tenant, id }: { tenant: string; id: string }) {
  const [invoice] = useLoad(
    () => api.GET("/v1/tenants/{tenant_id}/invoices/{invoice_id}", { params: { path: { tenant_id: tenant, invoice_id: id } } }),
    [tenant, id],
  );
  return <Show value={invoice}>{(inv) => <Printable invoice={inv} />}</Show>;
}

function Printable({ invoice: inv }: { invoice: Invoice }) {
  const s = useStrings(BILLING_STRINGS);
  const { locale } = useContext(LocaleContext);
  const [tenant] = useLoad(() => api.GET("/v1/tenants/{tenant_id}", { params: { path: { tenant_id: inv.tenant_id } } }), [inv.tenant_id]);
  const m = (amount: string) => money(amount, inv.currency);
  const title = inv.number ? `${s("invoice")} ${inv.number}` : s("draftInvoice");

  return (
    <article class="sb-invoice">
      <p class="sb-no-print">
        <a href="/billing">{s("back")}</a>{" "}
        <button type="button" onClick={() => window.print()}>
          {s("print")}
        </button>
      </p>
      <h1>{title}</h1>
      <dl class="sb-facts sb-invoice-facts">
        <dt>{s("billTo")}</dt>
        <dd>{tenant.state === "ok" ? tenant.data.name : "…"}</dd>
        <dt>{s("period")}</dt>
        <dd>{period(inv.period_start, inv.period_end, locale)}</dd>
        <dt>{s("status")}</dt>
        <dd data-testid="invoice-status">{s(`status_${inv.status}`)}</dd>
        {inv.issued_at && (
          <>
            <dt>{s("issued")}</dt>
            <dd>{formatInstant(inv.issued_at, locale)}</dd>
          </>
        )}
        {inv.due_on && (
          <>
            <dt>{s("dueOn")}</dt>
            <dd>{formatDate(inv.due_on, locale)}</dd>
          </>
        )}
        {inv.voided_at && (
          <>
            <dt>{s("voidedOn")}</dt>
            <dd>{formatInstant(inv.voided_at, locale)}</dd>
          </>
        )}
      </dl>

      <h2>{s("lines")}</h2>
      {inv.lines.length === 0 ? (
        <p>{s("noLines")}</p>
      ) : (
        <table class="sb-invoice-lines">
          <thead>
            <tr>
              <th scope="col">{s("description")}</th>
              <th scope="col">{s("kind")}</th>
              <th scope="col" class="sb-num">
                {s("quantity")}
              </th>
              <th scope="col" class="sb-num">
                {s("amount")}
              </th>
            </tr>
          </thead>
          <tbody>
            {inv.lines.map((l) => (
              <tr>
                <td>{l.description}</td>
                <td>{LINE_KINDS[l.kind] ? s(LINE_KINDS[l.kind]!) : l.kind}</td>
                <td class="sb-num">{l.quantity}</td>
                <td class="sb-num sb-money">{m(l.amount)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      <table class="sb-invoice-totals">
        <tbody>
          <tr>
            <th scope="row">{s("subtotal")}</th>
            <td class="sb-num sb-money">{m(inv.subtotal)}</td>
          </tr>
          <tr>
            <th scope="row">
              {s("tax")} ({inv.tax_rate} %)
            </th>
            <td class="sb-num sb-money">{m(inv.tax)}</td>
          </tr>
          <tr class="sb-grand">
            <th scope="row">{s("total")}</th>
            <td class="sb-num sb-money" data-testid="invoice-total">
              {m(inv.total)}
            </td>
          </tr>
          <tr>
            <th scope="row">{s("paid")}</th>
            <td class="sb-num sb-money">{m(inv.paid)}</td>
          </tr>
          <tr>
            <th scope="row">{s("due")}</th>
            <td class="sb-num sb-money">{m(inv.due)}</td>
          </tr>
        </tbody>
      </table>
    </article>
  );
}
