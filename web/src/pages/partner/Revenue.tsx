// A partner's revenue, cost and margin over its subtree (`GET …/reports/margin`): what the
// level below paid for each call, what the partner paid itself, grouped by day, month,
// tenant, destination or carrier, one total per currency. Amounts are the API's exact
// decimal strings.

import { useState } from "preact/hooks";
import { api, type Schemas } from "../../api/client";
import { showProblem, type ShownProblem } from "../../api/problem";
import { Field } from "../../components/Field";
import { money } from "../../money";
import { useStrings, type Strings } from "../../i18n";
import { isPartner, useMe } from "../../state";
import { NotFound } from "../NotFound";

type Report = Schemas["MarginReport"];
type GroupBy = Schemas["GroupBy"];
const GROUPS: readonly GroupBy[] = ["day", "month", "tenant", "destination", "carrier"];

const S: Strings<"title" | "from" | "to" | "groupBy" | "show" | "group" | "calls" | "revenue" | "cost" | "margin" | "total" | "none" | GroupBy> = {
  en: {
    title: "Revenue and margin",
    from: "From",
    to: "To (included)",
    groupBy: "Group by",
    show: "Show",
    group: "Group",
    calls: "Calls",
    revenue: "Revenue",
    cost: "Cost",
    margin: "Margin",
    total: "Total",
    none: "No calls in this period.",
    day: "Day",
    month: "Month",
    tenant: "Customer",
    destination: "Destination",
    carrier: "Carrier",
  },
  es: {
    title: "Ingresos y margen",
    from: "Desde",
    to: "Hasta (incluido)",
    groupBy: "Agrupar por",
    show: "Mostrar",
    group: "Grupo",
    calls: "Llamadas",
    revenue: "Ingresos",
    cost: "Coste",
    margin: "Margen",
    total: "Total",
    none: "No hay llamadas en este periodo.",
    day: "Día",
    month: "Mes",
    tenant: "Cliente",
    destination: "Destino",
    carrier: "Operador",
  },
};

/** `YYYY-MM-DD` of a date, in local time. */
const isoDay = (d: Date) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;

/** The report's period as instants: from the start of `from` to the end of `to` (local days). */
export function period(from: string, to: string): { from: string; to: string } | null {
  const start = new Date(`${from}T00:00:00`);
  const end = new Date(`${to}T00:00:00`);
  if (Number.isNaN(start.getTime()) || Number.isNaN(end.getTime())) return null;
  end.setDate(end.getDate() + 1);
  return { from: start.toISOString(), to: end.toISOString() };
}

export function Revenue() {
  const s = useStrings(S);
  const me = useMe();
  const [from, setFrom] = useState(() => {
    const now = new Date();
    return isoDay(new Date(now.getFullYear(), now.getMonth(), 1));
  });
  const [to, setTo] = useState(() => isoDay(new Date()));
  const [groupBy, setGroupBy] = useState<GroupBy>("tenant");
  const [report, setReport] = useState<Report | null>(null);
  const [problem, setProblem] = useState<ShownProblem | null>(null);
  if (!isPartner(me) || !me.tenant_id) return <NotFound />;
  const tenant = me.tenant_id;

  const show = async (e: Event) => {
    e.preventDefault();
    const range = period(from, to);
    if (!range) {
      setProblem({ summary: s("from"), fields: { from: "?" }, status: 0, code: "invalid" });
      return;
    }
    const { data, error } = await api.GET("/v1/tenants/{tenant_id}/reports/margin", {
      params: { path: { tenant_id: tenant }, query: { ...range, group_by: groupBy } },
    });
    if (data) {
      setProblem(null);
      setReport(data);
    } else {
      setReport(null);
      setProblem(showProblem(error, ["from", "to", "group_by"]));
    }
  };

  const row = (r: Schemas["MarginRow"], head: string) => (
    <tr>
      <th scope="row">{head}</th>
      <td class="sb-num">{r.calls}</td>
      <td class="sb-num">{money(r.revenue, r.currency)}</td>
      <td class="sb-num">{money(r.cost, r.currency)}</td>
      <td class="sb-num">{money(r.margin, r.currency)}</td>
    </tr>
  );

  return (
    <section>
      <h1>{s("title")}</h1>
      <form class="inline filter-grid" onSubmit={show} aria-label={s("title")}>
        {problem && (
          <p role="alert" class="error">
            {problem.summary}
          </p>
        )}
        <Field name="from" label={s("from")} type="date" required value={from} onInput={(e) => setFrom(e.currentTarget.value)} error={problem?.fields.from} />
        <Field name="to" label={s("to")} type="date" required value={to} onInput={(e) => setTo(e.currentTarget.value)} error={problem?.fields.to} />
        <div class="field">
          <label for="f-group_by">{s("groupBy")}</label>
          <select id="f-group_by" name="group_by" value={groupBy} onChange={(e) => setGroupBy(e.currentTarget.value as GroupBy)}>
            {GROUPS.map((g) => (
              <option value={g}>{s(g)}</option>
            ))}
          </select>
        </div>
        <div class="field">
          <button type="submit">{s("show")}</button>
        </div>
      </form>
      {report && report.rows.length === 0 && <p role="status">{s("none")}</p>}
      {report && report.rows.length > 0 && (
        <div class="table-wrap">
          <table data-testid="margin-report">
            <thead>
              <tr>
                <th scope="col">{s(report.group_by)}</th>
                <th scope="col">{s("calls")}</th>
                <th scope="col">{s("revenue")}</th>
                <th scope="col">{s("cost")}</th>
                <th scope="col">{s("margin")}</th>
              </tr>
            </thead>
            <tbody>{report.rows.map((r) => row(r, r.label ?? r.key))}</tbody>
            <tfoot>{report.totals.map((r) => row(r, `${s("total")} ${r.currency}`))}</tfoot>
          </table>
        </div>
      )}
    </section>
  );
}
