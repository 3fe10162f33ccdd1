// One of the partner's rate decks (`/rate-decks/:id`): its name and description (saved with
// If-Match), CSV imports that make new versions, the versions with activate (or roll back),
// a preview of their first rates and the CSV export, and deleting the deck. Rates are shown
// as the exact strings of the export, never as numbers.

import { useContext, useState } from "preact/hooks";
import { useLocation } from "preact-iso";
import { api, ifMatch, type Problem, type Schemas } from "../../api/client";
import { showProblem, type ShownProblem } from "../../api/problem";
import { authFetch } from "../../api/session";
import { Confirm } from "../../components/Confirm";
import { downloadFile } from "../../components/download";
import { Field } from "../../components/Field";
import { TableWrap } from "../../components/people/ui";
import { Show, useLoad, type Loaded } from "../../components/load";
import { LocaleContext, useStrings } from "../../i18n";
import { money } from "../../money";
import { formatInstant } from "../billing/strings";
import { RateDeckImport } from "./RateDeckImport";
import { BASE, exportFileName, exportPath, fill, previewRates, readHead } from "./rateDeckModel";
import { DECK_STRINGS } from "./rateDeckStrings";

type Deck = Schemas["RateDeckView"];
type Version = Schemas["DeckVersionView"];
const INPUTS = ["name", "description"] as const;
/** Rates shown by a version's preview. */
const PREVIEW_ROWS = 50;
/** The export's columns, each with its heading (an unknown one is shown by its name). */
const COLUMNS = [
  "prefix",
  "destination",
  "rate",
  "connection_fee",
  "minimum_seconds",
  "first_increment",
  "next_increment",
  "effective_from",
  "effective_until",
] as const;
type Column = (typeof COLUMNS)[number];
const isColumn = (c: string): c is Column => (COLUMNS as readonly string[]).includes(c);
/** Amounts, shown with the deck's currency. */
const AMOUNTS: readonly string[] = ["rate", "connection_fee"];

export function RateDeckPage({ tenant, id }: { tenant: string; id: string }) {
  const s = useStrings(DECK_STRINGS);
  const { locale } = useContext(LocaleContext);
  const params = { params: { path: { tenant_id: tenant, deck_id: id } } };
  const [deck, reloadDeck] = useLoad(() => api.GET("/v1/tenants/{tenant_id}/rate-decks/{deck_id}", params), [tenant, id]);
  const [versions, reloadVersions] = useLoad(() => api.GET("/v1/tenants/{tenant_id}/rate-decks/{deck_id}/versions", params), [tenant, id]);
  const changed = () => {
    reloadDeck();
    reloadVersions();
  };
  const importing = versions.state === "ok" ? (versions.data.items.find((v) => v.status === "importing")?.import_id ?? null) : null;

  return (
    <Show value={deck}>
      {(d) => (
        <section>
          <p>
            <a href={BASE}>{s("back")}</a>
          </p>
          <h1>{d.name}</h1>
          <dl class="sb-facts">
            <dt>{s("colCurrency")}</dt>
            <dd>{d.currency}</dd>
            <dt>{s("activeVersion")}</dt>
            <dd data-testid="active-version">{d.active_version ?? s("noActive")}</dd>
            <dt>{s("created")}</dt>
            <dd>{formatInstant(d.created_at, locale)}</dd>
            <dt>{s("updated")}</dt>
            <dd>{formatInstant(d.updated_at, locale)}</dd>
          </dl>
          <DetailsForm tenant={tenant} deck={d} onSaved={reloadDeck} />
          <RateDeckImport tenant={tenant} deck={d.id} resume={importing} onFinished={changed} />
          <Versions tenant={tenant} deck={d} versions={versions} onChanged={changed} />
          <DeleteDeck tenant={tenant} deck={d} />
        </section>
      )}
    </Show>
  );
}

/** Stays mounted across saves (its inputs hold what was saved; the next save sends the
 * reloaded version in If-Match), so "Saved" stays visible. */
function DetailsForm({ tenant, deck, onSaved }: { tenant: string; deck: Deck; onSaved: () => void }) {
  const s = useStrings(DECK_STRINGS);
  const [problem, setProblem] = useState<ShownProblem | null>(null);
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);

  const save = async (e: Event) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget as HTMLFormElement);
    const description = String(form.get("description") ?? "").trim();
    setBusy(true);
    const { data, error } = await api.PATCH("/v1/tenants/{tenant_id}/rate-decks/{deck_id}", {
      params: { path: { tenant_id: tenant, deck_id: deck.id }, header: ifMatch(deck.version) },
      // An emptied description is removed (merge patch: null), not saved as "".
      body: { name: String(form.get("name") ?? "").trim(), description: description || null },
    });
    setBusy(false);
    if (data) {
      setProblem(null);
      setSaved(true);
      onSaved();
    } else {
      setSaved(false);
      setProblem(showProblem(error, INPUTS));
    }
  };

  return (
    <form class="inline" onSubmit={save} aria-labelledby="deck-details">
      <h2 id="deck-details">{s("details")}</h2>
      {problem && (
        <p role="alert" class="error">
          {problem.summary}
        </p>
      )}
      <Field name="name" label={s("name")} required maxLength={200} defaultValue={deck.name} error={problem?.fields.name} />
      <Field
        name="description"
        label={s("description")}
        maxLength={200}
        defaultValue={deck.description ?? ""}
        hint={s("descriptionHint")}
        error={problem?.fields.description}
      />
      <button type="submit" disabled={busy}>
        {s("save")}
      </button>
      {saved && <span role="status"> {s("saved")}</span>}
    </form>
  );
}

function Versions(props: { tenant: string; deck: Deck; versions: Loaded<Schemas["DeckVersionList"]>; onChanged: () => void }) {
  const { tenant, deck, versions, onChanged } = props;
  const s = useStrings(DECK_STRINGS);
  const { locale } = useContext(LocaleContext);
  const [problem, setProblem] = useState<string | null>(null);
  const [previewing, setPreviewing] = useState<number | null>(null);
  const when = (iso: string | null | undefined) => (iso ? formatInstant(iso, locale) : "—");

  const activate = async (n: number) => {
    const { error } = await api.POST("/v1/tenants/{tenant_id}/rate-decks/{deck_id}/versions/{version}/activate", {
      params: { path: { tenant_id: tenant, deck_id: deck.id, version: n }, header: ifMatch(deck.version) },
    });
    if (error) setProblem(showProblem(error).summary);
    else {
      setProblem(null);
      onChanged();
    }
  };

  const download = async (n: number) => {
    try {
      setProblem(null);
      await downloadFile(exportPath(tenant, deck.id, n), exportFileName(deck.name, n), "text/csv");
    } catch (err) {
      setProblem(`${s("exportFailed")}: ${err instanceof Error ? err.message : String(err)}`);
    }
  };

  const row = (v: Version) => {
    const label = `${s("version")} ${v.number}`;
    return (
      <tr data-version={v.number} data-active={v.active ? "true" : undefined}>
        <th scope="row">{v.number}</th>
        <td>{v.active ? <strong>{s("isActive")}</strong> : s(`status_${v.status}`)}</td>
        <td class="sb-num">{v.rate_count}</td>
        <td>{when(v.created_at)}</td>
        <td>{when(v.ready_at)}</td>
        <td>{when(v.activated_at)}</td>
        <td>
          {v.status === "ready" && (
            <span class="sb-pager">
              {!v.active && (
                <Confirm
                  action={s("activate")}
                  name={label}
                  question={fill(s("activateQuestion"), { version: v.number })}
                  confirm={s("activate")}
                  onConfirm={() => activate(v.number)}
                />
              )}
              <button type="button" class="sb-secondary" onClick={() => void download(v.number)}>
                {s("export")} <span class="sr-only">{label}</span>
              </button>
              <button
                type="button"
                class="sb-secondary"
                aria-expanded={previewing === v.number}
                aria-controls="rate-preview"
                onClick={() => setPreviewing(previewing === v.number ? null : v.number)}
              >
                {previewing === v.number ? s("hidePreview") : s("preview")} <span class="sr-only">{label}</span>
              </button>
            </span>
          )}
        </td>
      </tr>
    );
  };

  return (
    <section aria-labelledby="deck-versions">
      <h2 id="deck-versions">{s("versions")}</h2>
      {problem && (
        <p role="alert" class="error">
          {problem}
        </p>
      )}
      <Show value={versions}>
        {(list) =>
          list.items.length === 0 ? (
            <p>{s("noVersions")}</p>
          ) : (
            <TableWrap label={s("versions")}>
              <table data-testid="deck-versions">
                <thead>
                  <tr>
                    <th scope="col">{s("version")}</th>
                    <th scope="col">{s("status")}</th>
                    <th scope="col" class="sb-num">
                      {s("rates")}
                    </th>
                    <th scope="col">{s("created")}</th>
                    <th scope="col">{s("readyAt")}</th>
                    <th scope="col">{s("activatedAt")}</th>
                    <th scope="col">{s("actions")}</th>
                  </tr>
                </thead>
                <tbody>{list.items.map(row)}</tbody>
              </table>
            </TableWrap>
          )
        }
      </Show>
      <div id="rate-preview">{previewing !== null && <RatePreview tenant={tenant} deck={deck} version={previewing} />}</div>
    </section>
  );
}

/** The first rates of a version, read from the start of its export. */
function RatePreview({ tenant, deck, version }: { tenant: string; deck: Deck; version: number }) {
  const s = useStrings(DECK_STRINGS);
  const [preview] = useLoad(async () => {
    const response = await authFetch(new Request(exportPath(tenant, deck.id, version), { headers: { accept: "text/csv" } }));
    if (!response.ok) return { error: (await response.json().catch(() => null)) as unknown, response };
    const { text, complete } = await readHead(response, PREVIEW_ROWS + 1);
    return { data: previewRates(text, complete, PREVIEW_ROWS), response };
  }, [tenant, deck.id, version]);
  const heading = (c: string) => (isColumn(c) ? s(`col_${c}`) : c);
  // An empty date is "always" / "never ends": a dash rather than a blank cell.
  const cell = (c: string, text: string) => (text === "" ? "—" : AMOUNTS.includes(c) ? money(text, deck.currency) : text);
  return (
    <Show value={preview}>
      {(p) => (
        <>
          <TableWrap label={fill(s("previewCaption"), { version })}>
            <table data-testid="rate-preview">
              <caption>{fill(s("previewCaption"), { version })}</caption>
              <thead>
                <tr>
                  {p.columns.map((c) => (
                    <th scope="col" class={AMOUNTS.includes(c) ? "sb-num" : undefined}>
                      {heading(c)}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {p.rows.map((r) => (
                  <tr>
                    {p.columns.map((c) => (
                      <td class={AMOUNTS.includes(c) ? "sb-num" : undefined}>{cell(c, r[c] ?? "")}</td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
          {p.more && <p class="hint">{fill(s("previewMore"), { count: PREVIEW_ROWS })}</p>}
        </>
      )}
    </Show>
  );
}

/** Field errors `tenants[<id>]` of a 409: the customers whose billing terms sell at the deck. */
function inUseBy(problem: unknown): { tenants: string[]; rest: unknown } {
  const p = (typeof problem === "object" && problem !== null ? problem : {}) as Partial<Problem>;
  const tenants: string[] = [];
  const others = (p.errors ?? []).filter((e) => {
    const m = /^tenants\[(.+)\]$/.exec(e.field);
    if (m) tenants.push(m[1]!);
    return !m;
  });
  return { tenants, rest: { ...p, errors: others } };
}

function DeleteDeck({ tenant, deck }: { tenant: string; deck: Deck }) {
  const s = useStrings(DECK_STRINGS);
  const { route } = useLocation();
  const [problem, setProblem] = useState<{ summary: string; tenants: string[] } | null>(null);

  const remove = async () => {
    const { error, response } = await api.DELETE("/v1/tenants/{tenant_id}/rate-decks/{deck_id}", {
      params: { path: { tenant_id: tenant, deck_id: deck.id }, header: ifMatch(deck.version) },
    });
    if (response.ok) {
      route(BASE);
      return;
    }
    const { tenants, rest } = inUseBy(error);
    setProblem({ summary: showProblem(rest).summary, tenants });
  };

  return (
    <section class="cf-danger-zone" aria-labelledby="deck-delete">
      <h2 id="deck-delete">{s("dangerZone")}</h2>
      {problem && (
        <div role="alert">
          <p class="error">{problem.summary}</p>
          {problem.tenants.length > 0 && (
            <>
              <p>{s("usedBy")}</p>
              <ul>
                {problem.tenants.map((t) => (
                  <li>
                    <CustomerLink id={t} />
                  </li>
                ))}
              </ul>
            </>
          )}
        </div>
      )}
      <Confirm action={s("delete")} name={deck.name} question={s("deleteQuestion")} confirm={s("delete")} onConfirm={remove} />
    </section>
  );
}

/** A customer by name, linking to its billing terms (where its deck is changed). */
function CustomerLink({ id }: { id: string }) {
  const [tenant] = useLoad(() => api.GET("/v1/tenants/{tenant_id}", { params: { path: { tenant_id: id } } }), [id]);
  return <a href={`/tenants/${encodeURIComponent(id)}/billing`}>{tenant.state === "ok" ? tenant.data.name : id}</a>;
}
