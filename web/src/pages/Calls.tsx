// Call history (`/calls`): the tenant's call detail records, filtered by period, direction,
// result and extension, a page at a time ("More"), and exported as CSV with the same filters.
// A user's own history (`/me/calls`) is the same list of their phones' calls, without what
// the calls cost (that is the billing's) and without the tenant's export.

import { useState } from "preact/hooks";
import { api, type Schemas } from "../api/client";
import { showProblem, type ShownProblem } from "../api/problem";
import { Field } from "../components/Field";
import { Show } from "../components/load";
import { NO_FILTERS, cdrQuery, exportFileName, toSearch, type CdrFilters } from "../components/people/cdrQuery";
import { downloadFile } from "../components/download";
import { usePaged } from "../components/people/paged";
import { useSubPath } from "../components/subpath";
import { MoreButton, SelectField, TableWrap } from "../components/people/ui";
import { useT } from "../i18n";
import { useMe } from "../state";
import { NotFound } from "./NotFound";
import { directionKey, dispositionKey, useFormat, usePeople } from "./people/strings";

type Cdr = Schemas["CdrView"];
const DIRECTIONS: Schemas["Direction"][] = ["inbound", "outbound", "internal"];
const DISPOSITIONS: Schemas["Disposition"][] = ["answered", "no_answer", "busy", "failed"];
const FILTER_INPUTS = ["from", "to", "direction", "disposition", "extension"] as const;
const PAGE = 50;

export function Calls() {
  return useSubPath().length ? <NotFound /> : <CallHistory />;
}

/** The signed-in user's own calls. */
export function MyCalls() {
  return <CallHistory own />;
}

function CallHistory({ own = false }: { own?: boolean }) {
  const t = useT();
  const s = usePeople();
  const tenant = useMe().tenant_id ?? "";
  const [draft, setDraft] = useState<CdrFilters>(NO_FILTERS);
  const [applied, setApplied] = useState<CdrFilters>(NO_FILTERS);
  const [problem, setProblem] = useState<ShownProblem | null>(null);
  const [exporting, setExporting] = useState(false);
  const [exportError, setExportError] = useState<string | null>(null);

  const paged = usePaged(async (cursor) => {
    const query = { ...cdrQuery(applied), limit: PAGE, cursor };
    const answer = own
      ? await api.GET("/v1/me/cdrs", { params: { query } })
      : await api.GET("/v1/tenants/{tenant_id}/cdrs", { params: { path: { tenant_id: tenant }, query } });
    // A filter the API refuses (a period that ends before it starts) is shown at its input.
    if (!cursor) setProblem(answer.error ? showProblem(answer.error, FILTER_INPUTS) : null);
    return answer;
  }, [tenant, applied, own], FILTER_INPUTS);
  if (!tenant) return <NotFound />;

  const set = <K extends keyof CdrFilters>(key: K, value: CdrFilters[K]) => setDraft((d) => ({ ...d, [key]: value }));
  const apply = (e: Event) => {
    e.preventDefault();
    setApplied({ ...draft });
  };
  const clear = () => {
    setDraft(NO_FILTERS);
    setApplied(NO_FILTERS);
  };
  const exportCsv = async () => {
    setExporting(true);
    setExportError(null);
    try {
      await downloadFile(`/v1/tenants/${tenant}/cdrs/export${toSearch(cdrQuery(applied))}`, exportFileName(applied), "text/csv");
    } catch (err) {
      setExportError(err instanceof Error ? err.message : String(err));
    } finally {
      setExporting(false);
    }
  };

  return (
    <section>
      <h1>{own ? t("myCalls") : t("calls")}</h1>
      <form class="inline" onSubmit={apply} aria-labelledby="call-filters" noValidate>
        <h2 id="call-filters">{s("filters")}</h2>
        <div class="pc-filters">
          <Field name="from" type="date" label={s("from")} value={draft.from} onInput={(e) => set("from", e.currentTarget.value)} error={problem?.fields.from} />
          <Field name="to" type="date" label={s("to")} value={draft.to} onInput={(e) => set("to", e.currentTarget.value)} error={problem?.fields.to} />
          <SelectField
            name="direction"
            label={s("direction")}
            value={draft.direction}
            onChange={(e) => set("direction", e.currentTarget.value as CdrFilters["direction"])}
            error={problem?.fields.direction}
          >
            <option value="">{s("any")}</option>
            {DIRECTIONS.map((d) => (
              <option value={d}>{s(directionKey(d))}</option>
            ))}
          </SelectField>
          <SelectField
            name="disposition"
            label={s("disposition")}
            value={draft.disposition}
            onChange={(e) => set("disposition", e.currentTarget.value as CdrFilters["disposition"])}
            error={problem?.fields.disposition}
          >
            <option value="">{s("any")}</option>
            {DISPOSITIONS.map((d) => (
              <option value={d}>{s(dispositionKey(d))}</option>
            ))}
          </SelectField>
          <Field
            name="extension"
            label={s("extension")}
            inputMode="numeric"
            value={draft.extension}
            onInput={(e) => set("extension", e.currentTarget.value)}
            error={problem?.fields.extension}
          />
        </div>
        <p class="pc-buttons">
          <button type="submit">{s("filter")}</button>{" "}
          <button type="button" class="secondary" onClick={clear}>
            {s("clearFilters")}
          </button>{" "}
          {!own && (
            <button type="button" class="secondary" onClick={() => void exportCsv()} disabled={exporting} aria-busy={exporting}>
              {exporting ? s("exporting") : s("exportCsv")}
            </button>
          )}
        </p>
        {exportError && (
          <p role="alert" class="error">
            {exportError}
          </p>
        )}
      </form>
      <Show value={paged.list}>
        {(calls) =>
          calls.length === 0 ? (
            <p role="status">{s("noCalls")}</p>
          ) : (
            <>
              <p role="status" class="hint">
                {calls.length} {calls.length === 1 ? s("callShown") : s("callsShown")}
              </p>
              <CallTable calls={calls} charges={!own} />
            </>
          )
        }
      </Show>
      <MoreButton paged={paged} />
    </section>
  );
}

function CallTable({ calls, charges }: { calls: Cdr[]; charges: boolean }) {
  const t = useT();
  const s = usePeople();
  const f = useFormat();
  return (
    <TableWrap label={s("callsTable")}>
      <table>
        <thead>
          <tr>
            <th scope="col">{t("started")}</th>
            <th scope="col">{s("direction")}</th>
            <th scope="col">{t("caller")}</th>
            <th scope="col">{t("destination")}</th>
            <th scope="col">{s("extension")}</th>
            <th scope="col">{t("duration")}</th>
            <th scope="col">{s("disposition")}</th>
            {charges && <th scope="col">{s("charge")}</th>}
          </tr>
        </thead>
        <tbody>
          {calls.map((c) => (
            <tr key={c.id} data-call={c.call_id}>
              <td>{f.dateTime(c.started_at)}</td>
              <td>{s(directionKey(c.direction))}</td>
              <td>{c.caller}</td>
              <td>{c.destination_name ? `${c.destination_name} (${c.destination})` : c.destination}</td>
              <td>{c.extension ?? "—"}</td>
              <td>{f.duration(c.duration_seconds)}</td>
              <td>{s(dispositionKey(c.disposition))}</td>
              {charges && <td>{c.charge ? `${c.charge}${c.currency ? ` ${c.currency}` : ""}` : "—"}</td>}
            </tr>
          ))}
        </tbody>
      </table>
    </TableWrap>
  );
}
