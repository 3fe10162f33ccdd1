// Billing for a tenant's admins: the balance, the billing terms, the ledger's transactions
// (paged, filterable by kind) and the invoices, each with a printable page
// (`/billing/invoices/:id`). Sub-pages are told apart from the location itself, so they render
// whatever pattern the app's router mounts this under.

import { isUuid } from "../components/subpath";
import { useContext, useState } from "preact/hooks";
import { useLocation } from "preact-iso";
import { api, type Schemas } from "../api/client";
import { Show, useLoad } from "../components/load";
import { LocaleContext, useStrings } from "../i18n";
import { useMe } from "../state";
import { NotFound } from "./NotFound";
import { InvoicePage } from "./billing/InvoicePage";
import { BILLING_STRINGS, TRANSACTION_KINDS, formatInstant, isNegative, money, period } from "./billing/strings";

type Kind = Schemas["TransactionKind"];
const BASE = "/billing";

export function Billing() {
  const me = useMe();
  const { path } = useLocation();
  const tenant = me.tenant_id;
  if (!tenant || !path.startsWith(BASE)) return <NotFound />;
  const rest = path.slice(BASE.length).split("/").filter(Boolean);
  if (rest.length === 0) return <Overview tenant={tenant} />;
  if (rest.length === 2 && rest[0] === "invoices" && isUuid(rest[1]!)) return <InvoicePage tenant={tenant} id={rest[1]!} />;
  return <NotFound />;
}

function Overview({ tenant }: { tenant: string }) {
  const s = useStrings(BILLING_STRINGS);
  return (
    <section class="sb-billing">
      <h1>{s("title")}</h1>
      <div class="cards">
        <BalanceCard tenant={tenant} />
        <TermsCard tenant={tenant} />
      </div>
      <Transactions tenant={tenant} />
      <Invoices tenant={tenant} />
    </section>
  );
}

function BalanceCard({ tenant }: { tenant: string }) {
  const s = useStrings(BILLING_STRINGS);
  const [balance] = useLoad(() => api.GET("/v1/tenants/{tenant_id}/balance", { params: { path: { tenant_id: tenant } } }), [tenant]);
  return (
    <article class="card" aria-labelledby="billing-balance">
      <h2 id="billing-balance">{s("balance")}</h2>
      <Show value={balance}>
        {(b) => (
          <>
            <p class={`figure sb-money${isNegative(b.balance) ? " sb-negative" : ""}`} data-testid="balance">
              {money(b.balance, b.currency)}
            </p>
            <dl class="sb-facts">
              <dt>{s("available")}</dt>
              <dd data-testid="available">{money(b.available, b.currency)}</dd>
              <dt>{s("held")}</dt>
              <dd data-testid="held">{money(b.held, b.currency)}</dd>
            </dl>
            <p class="hint">{s("availableHint")}</p>
          </>
        )}
      </Show>
    </article>
  );
}

function TermsCard({ tenant }: { tenant: string }) {
  const s = useStrings(BILLING_STRINGS);
  const [account] = useLoad(
    () => api.GET("/v1/tenants/{tenant_id}/billing-account", { params: { path: { tenant_id: tenant } } }),
    [tenant],
  );
  return (
    <article class="card" aria-labelledby="billing-terms">
      <h2 id="billing-terms">{s("terms")}</h2>
      <Show value={account}>
        {(a) => (
          <dl class="sb-facts">
            <dt>{s("accountKind")}</dt>
            <dd>{a.kind === "postpaid" ? s("postpaid") : s("prepaid")}</dd>
            <dt>{s("creditLimit")}</dt>
            <dd>{money(a.credit_limit, a.currency)}</dd>
            <dt>{s("taxRate")}</dt>
            <dd>{a.tax_rate} %</dd>
            <dt>{s("billingDay")}</dt>
            <dd>{a.billing_day}</dd>
          </dl>
        )}
      </Show>
    </article>
  );
}

function Transactions({ tenant }: { tenant: string }) {
  const s = useStrings(BILLING_STRINGS);
  const { locale } = useContext(LocaleContext);
  const [kind, setKind] = useState<Kind | "">("");
  // The cursors of the pages seen so far, so "previous" needs no cursor from the API.
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const cursor = cursors[cursors.length - 1];
  const [page] = useLoad(
    () =>
      api.GET("/v1/tenants/{tenant_id}/transactions", {
        params: { path: { tenant_id: tenant }, query: { limit: 50, cursor, kind: kind || undefined } },
      }),
    [tenant, cursor, kind],
  );
  return (
    <section aria-labelledby="billing-transactions">
      <h2 id="billing-transactions">{s("transactions")}</h2>
      <div class="field">
        <label for="f-transaction-kind">{s("filterKind")}</label>
        <select
          id="f-transaction-kind"
          value={kind}
          onChange={(e) => {
            setKind(e.currentTarget.value as Kind | "");
            setCursors([undefined]);
          }}
        >
          <option value="">{s("allKinds")}</option>
          {TRANSACTION_KINDS.map((k) => (
            <option value={k}>{s(`kind_${k}`)}</option>
          ))}
        </select>
      </div>
      <Show value={page}>
        {(p) => (
          <>
            {p.items.length === 0 ? (
              <p>{s("noTransactions")}</p>
            ) : (
              <div class="sb-table-scroll">
                <table data-testid="transactions">
                  <thead>
                    <tr>
                      <th scope="col">{s("date")}</th>
                      <th scope="col">{s("kind")}</th>
                      <th scope="col">{s("description")}</th>
                      <th scope="col" class="sb-num">
                        {s("amount")}
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {p.items.map((x) => (
                      <tr>
                        <td>
                          <time dateTime={x.created_at}>{formatInstant(x.created_at, locale)}</time>
                        </td>
                        <td>{s(`kind_${x.kind}`)}</td>
                        <td>{x.description ?? ""}</td>
                        <td class={`sb-num sb-money${isNegative(x.amount) ? " sb-negative" : ""}`}>{money(x.amount, x.currency)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
            <p class="sb-pager">
              {cursors.length > 2 && (
                <button type="button" class="sb-secondary" onClick={() => setCursors([undefined])}>
                  {s("firstPage")}
                </button>
              )}{" "}
              {cursors.length > 1 && (
                <button type="button" class="sb-secondary" onClick={() => setCursors(cursors.slice(0, -1))}>
                  {s("previousPage")}
                </button>
              )}{" "}
              {p.next_cursor && (
                <button type="button" class="sb-secondary" onClick={() => setCursors([...cursors, p.next_cursor ?? undefined])}>
                  {s("nextPage")}
                </button>
              )}
            </p>
          </>
        )}
      </Show>
    </section>
  );
}

function Invoices({ tenant }: { tenant: string }) {
  const s = useStrings(BILLING_STRINGS);
  const { locale } = useContext(LocaleContext);
  const [cursor, setCursor] = useState<string | undefined>(undefined);
  const [page] = useLoad(
    () => api.GET("/v1/tenants/{tenant_id}/invoices", { params: { path: { tenant_id: tenant }, query: { limit: 50, cursor } } }),
    [tenant, cursor],
  );
  return (
    <section aria-labelledby="billing-invoices">
      <h2 id="billing-invoices">{s("invoices")}</h2>
      <Show value={page}>
        {(p) => (
          <>
            {p.items.length === 0 ? (
              <p data-testid="no-invoices">{s("noInvoices")}</p>
            ) : (
              <div class="sb-table-scroll">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">{s("number")}</th>
                      <th scope="col">{s("period")}</th>
                      <th scope="col">{s("status")}</th>
                      <th scope="col" class="sb-num">
                        {s("total")}
                      </th>
                      <th scope="col" class="sb-num">
                        {s("due")}
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {p.items.map((inv) => (
                      <tr>
                        <td>
                          <a href={`${BASE}/invoices/${inv.id}`}>
                            {inv.number ?? s("draft")}
                            <span class="sr-only"> {period(inv.period_start, inv.period_end, locale)}</span>
                          </a>
                        </td>
                        <td>{period(inv.period_start, inv.period_end, locale)}</td>
                        <td>{s(`status_${inv.status}`)}</td>
                        <td class="sb-num sb-money">{money(inv.total, inv.currency)}</td>
                        <td class="sb-num sb-money">{money(inv.due, inv.currency)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
            <p class="sb-pager">
              {cursor && (
                <button type="button" class="sb-secondary" onClick={() => setCursor(undefined)}>
                  {s("firstPage")}
                </button>
              )}{" "}
              {p.next_cursor && (
                <button type="button" class="sb-secondary" onClick={() => setCursor(p.next_cursor ?? undefined)}>
                  {s("nextPage")}
                </button>
              )}
            </p>
          </>
        )}
      </Show>
    </section>
  );
}
