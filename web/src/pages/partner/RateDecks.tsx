// A partner's rate decks (`/rate-decks`): the prices its customers' outside calls are sold
// at. The list with a form to create one, and each deck's page (`/rate-decks/:id`). Sub-pages
// are told apart from the location itself, so they render whatever pattern the app's router
// mounts this under; a malformed id, another tenant's deck or a non-partner gets NotFound.

import { useContext, useState } from "preact/hooks";
import { useLocation } from "preact-iso";
import { api } from "../../api/client";
import { showProblem, type ShownProblem } from "../../api/problem";
import { Field } from "../../components/Field";
import { Show, useLoad } from "../../components/load";
import { TableWrap } from "../../components/people/ui";
import { isUuid, useSubPath } from "../../components/subpath";
import { LocaleContext, useStrings } from "../../i18n";
import { isPartner, useMe } from "../../state";
import { formatInstant } from "../billing/strings";
import { NotFound } from "../NotFound";
import { RateDeckPage } from "./RateDeckPage";
import { BASE } from "./rateDeckModel";
import { DECK_STRINGS } from "./rateDeckStrings";

const INPUTS = ["name", "currency", "description"] as const;

export function RateDecks() {
  const me = useMe();
  const rest = useSubPath();
  const tenant = me.tenant_id;
  if (!isPartner(me) || !tenant) return <NotFound />;
  if (rest.length === 0) return <List tenant={tenant} />;
  if (rest.length === 1 && isUuid(rest[0]!)) return <RateDeckPage tenant={tenant} id={rest[0]!} />;
  return <NotFound />;
}

function List({ tenant }: { tenant: string }) {
  const s = useStrings(DECK_STRINGS);
  const { locale } = useContext(LocaleContext);
  const [cursor, setCursor] = useState<string | undefined>(undefined);
  const [list] = useLoad(
    () => api.GET("/v1/tenants/{tenant_id}/rate-decks", { params: { path: { tenant_id: tenant }, query: { limit: 50, cursor } } }),
    [tenant, cursor],
  );
  return (
    <section>
      <h1>{s("title")}</h1>
      <p>{s("intro")}</p>
      <CreateForm tenant={tenant} />
      <Show value={list}>
        {(page) => (
          <>
            {page.items.length === 0 ? (
              <p>{s("none")}</p>
            ) : (
              <TableWrap label={s("title")}>
                <table data-testid="rate-decks">
                  <thead>
                    <tr>
                      <th scope="col">{s("name")}</th>
                      <th scope="col">{s("colCurrency")}</th>
                      <th scope="col">{s("activeVersion")}</th>
                      <th scope="col">{s("colDescription")}</th>
                      <th scope="col">{s("updated")}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {page.items.map((d) => (
                      <tr>
                        <td>
                          <a href={`${BASE}/${d.id}`}>{d.name}</a>
                        </td>
                        <td>{d.currency}</td>
                        <td>{d.active_version ?? s("noActive")}</td>
                        <td>{d.description ?? ""}</td>
                        <td>{formatInstant(d.updated_at, locale)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </TableWrap>
            )}
            <p class="sb-pager">
              {cursor && (
                <button type="button" class="sb-secondary" onClick={() => setCursor(undefined)}>
                  {s("firstPage")}
                </button>
              )}{" "}
              {page.next_cursor && (
                <button type="button" class="sb-secondary" onClick={() => setCursor(page.next_cursor ?? undefined)}>
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

/** A new deck has no rates: it opens at once, where the first CSV is uploaded. */
function CreateForm({ tenant }: { tenant: string }) {
  const s = useStrings(DECK_STRINGS);
  const { route } = useLocation();
  const [problem, setProblem] = useState<ShownProblem | null>(null);
  const [busy, setBusy] = useState(false);

  const create = async (e: Event) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget as HTMLFormElement);
    const description = String(form.get("description") ?? "").trim();
    setBusy(true);
    const { data, error } = await api.POST("/v1/tenants/{tenant_id}/rate-decks", {
      params: { path: { tenant_id: tenant } },
      body: {
        name: String(form.get("name") ?? "").trim(),
        currency: String(form.get("currency") ?? "").trim().toUpperCase(),
        description: description || null,
      },
    });
    setBusy(false);
    if (data) route(`${BASE}/${data.id}`);
    else setProblem(showProblem(error, INPUTS));
  };

  return (
    <form class="inline" onSubmit={create} aria-labelledby="new-deck">
      <h2 id="new-deck">{s("newDeck")}</h2>
      {problem && (
        <p role="alert" class="error">
          {problem.summary}
        </p>
      )}
      <Field name="name" label={s("name")} required maxLength={200} error={problem?.fields.name} />
      <Field
        name="currency"
        label={s("currency")}
        required
        minLength={3}
        maxLength={3}
        autoCapitalize="characters"
        hint={s("currencyHint")}
        error={problem?.fields.currency}
      />
      <Field name="description" label={s("description")} maxLength={200} error={problem?.fields.description} />
      <button type="submit" disabled={busy}>
        {s("create")}
      </button>
    </form>
  );
}
