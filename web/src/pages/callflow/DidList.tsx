// The tenant's numbers (`/dids`), a page at a time ("More"), and claiming a new one.

import { useMemo, useState } from "preact/hooks";
import { useLocation } from "preact-iso";
import { api } from "../../api/client";
import { showProblem, type ShownProblem } from "../../api/problem";
import { money } from "../../money";
import { DestinationText, newLabels } from "../../components/DestinationText";
import { Field } from "../../components/Field";
import { Show } from "../../components/load";
import { usePaged } from "../../components/people/paged";
import { MoreButton } from "../../components/people/ui";
import { useStrings, useT } from "../../i18n";
import { DID, NUMBER_TYPES } from "./didStrings";

const PAGE = 50;

/** The tenant's numbers, and claiming one from the platform's inventory. The tenant cannot
 * list the inventory, so it types the number its provider gave it. */
export function DidList({ tenant }: { tenant: string }) {
  const t = useT();
  const s = useStrings(DID);
  const types = useStrings(NUMBER_TYPES);
  const { route } = useLocation();
  const labels = useMemo(newLabels, [tenant]);
  const [problem, setProblem] = useState<ShownProblem | null>(null);
  const [busy, setBusy] = useState(false);
  const paged = usePaged(
    (cursor) => api.GET("/v1/tenants/{tenant_id}/dids", { params: { path: { tenant_id: tenant }, query: { limit: PAGE, cursor } } }),
    [tenant],
  );

  const claim = async (e: Event) => {
    e.preventDefault();
    const number = String(new FormData(e.currentTarget as HTMLFormElement).get("number") ?? "").trim();
    setBusy(true);
    const { data, error } = await api.POST("/v1/tenants/{tenant_id}/dids", {
      params: { path: { tenant_id: tenant } },
      body: { number },
    });
    setBusy(false);
    // Straight to the number's page: a new number answers no calls until it has a destination.
    if (data) route(`/dids/${data.id}`);
    else {
      // The API names `did_id` for some refusals (fees in another currency…) even when the
      // claim was by number: here both are the one number typed.
      const shown = showProblem(error, ["number", "did_id"]);
      const { did_id, ...fields } = shown.fields;
      if (did_id) fields.number = fields.number ? `${fields.number} ${did_id}` : did_id;
      setProblem({ ...shown, fields });
    }
  };

  return (
    <section>
      <h1>{s("title")}</h1>
      <form class="inline" onSubmit={claim} aria-labelledby="claim-did" noValidate>
        <h2 id="claim-did">{s("claimTitle")}</h2>
        {problem && (
          <p role="alert" class="error">
            {problem.summary}
          </p>
        )}
        <Field name="number" label={s("claimNumber")} hint={s("claimHint")} required inputMode="tel" autoComplete="off" error={problem?.fields.number} />
        <button type="submit" disabled={busy}>
          {s("claim")}
        </button>
      </form>
      <Show value={paged.list}>
        {(items) =>
          items.length === 0 ? (
            <p>{t("noItems")}</p>
          ) : (
            <div class="cf-scroll">
              <table>
                <thead>
                  <tr>
                    <th scope="col">{t("number")}</th>
                    <th scope="col">{s("type")}</th>
                    <th scope="col">{s("goesTo")}</th>
                    <th scope="col">{s("monthlyFee")}</th>
                  </tr>
                </thead>
                <tbody>
                  {items.map((d) => (
                    <tr key={d.id}>
                      <td>
                        <a href={`/dids/${d.id}`}>{d.number}</a>
                      </td>
                      <td>
                        {types(d.number_type)}
                        {d.country ? ` (${d.country})` : ""}
                      </td>
                      <td>
                        <DestinationText tenant={tenant} value={d.destination} labels={labels} none={s("notRouted")} />
                      </td>
                      <td>{money(d.monthly_fee, d.currency)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </Show>
      <MoreButton paged={paged} />
    </section>
  );
}
