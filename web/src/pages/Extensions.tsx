// The tenant's extensions (`/extensions`): a page at a time ("More"), with which phones are
// registered on each, the create form, and the CSV export and import.

import { useState } from "preact/hooks";
import { api, type Schemas } from "../api/client";
import { showProblem, type ShownProblem } from "../api/problem";
import { ExtensionImport } from "../components/ExtensionImport";
import { Field } from "../components/Field";
import { downloadFile } from "../components/download";
import { Show, useLoad } from "../components/load";
import { usePaged } from "../components/people/paged";
import { MoreButton } from "../components/people/ui";
import { Secret } from "../components/Secret";
import { useT } from "../i18n";
import { useMe } from "../state";
import { NotFound } from "./NotFound";

const INPUTS = ["number", "display_name"] as const;
const PAGE = 50;

export function Extensions() {
  const t = useT();
  const me = useMe();
  const tenant = me.tenant_id;
  const [created, setCreated] = useState<Schemas["ExtensionCreated"] | null>(null);
  const [problem, setProblem] = useState<ShownProblem | null>(null);
  const paged = usePaged(
    (cursor) =>
      api.GET("/v1/tenants/{tenant_id}/extensions", {
        params: { path: { tenant_id: tenant ?? "" }, query: { limit: PAGE, cursor } },
      }),
    [tenant],
  );
  // Which phones are registered, as the switches report them; the column stays empty if
  // that cannot be read (the list itself does not depend on it).
  const [registrations] = useLoad(
    () => api.GET("/v1/tenants/{tenant_id}/registrations", { params: { path: { tenant_id: tenant ?? "" } } }),
    [tenant],
  );
  if (!tenant) return <NotFound />;
  const contacts = new Map<string, Schemas["Registration"][]>();
  if (registrations.state === "ok")
    for (const r of registrations.data.items)
      if (r.extension_id) contacts.set(r.extension_id, [...(contacts.get(r.extension_id) ?? []), r]);
  const registered = (id: string) => {
    if (registrations.state !== "ok") return "…";
    // No switch answered (or there is none yet): nothing is known either way.
    if (registrations.data.nodes_asked === 0) return "—";
    const mine = contacts.get(id);
    if (!mine) return t("no");
    return mine.map((r) => r.user_agent ?? r.received ?? r.contact).join(", ");
  };

  const create = async (e: Event) => {
    e.preventDefault();
    const formEl = e.currentTarget as HTMLFormElement;
    const form = new FormData(formEl);
    const { data, error } = await api.POST("/v1/tenants/{tenant_id}/extensions", {
      params: { path: { tenant_id: tenant } },
      body: { number: String(form.get("number")), display_name: String(form.get("display_name")) },
    });
    if (data) {
      setCreated(data);
      setProblem(null);
      formEl.reset();
      paged.reload();
    } else setProblem(showProblem(error, INPUTS));
  };

  return (
    <section>
      <h1>{t("extensions")}</h1>
      <form class="inline" onSubmit={create} aria-labelledby="new-ext">
        <h2 id="new-ext">{t("newExtension")}</h2>
        {problem && (
          <p role="alert" class="error">
            {problem.summary}
          </p>
        )}
        <Field name="number" label={t("number")} required inputMode="numeric" error={problem?.fields.number} />
        <Field name="display_name" label={t("displayName")} required error={problem?.fields.display_name} />
        <button type="submit">{t("create")}</button>
      </form>
      {created && <Secret label={`${t("sipPassword")} ${created.sip_username}`} value={created.sip_password} />}
      <p>
        <button
          type="button"
          class="secondary"
          onClick={() =>
            void downloadFile(`/v1/tenants/${encodeURIComponent(tenant)}/extensions/export`, "extensions.csv", "text/csv").catch(
              (err: unknown) => setProblem(showProblem({ detail: String(err instanceof Error ? err.message : err) })),
            )
          }
        >
          {t("exportCsv")}
        </button>
      </p>
      <ExtensionImport tenant={tenant} onImported={paged.reload} />
      <Show value={paged.list}>
        {(items) =>
          items.length === 0 ? (
            <p>{t("noItems")}</p>
          ) : (
            <table>
              <thead>
                <tr>
                  <th scope="col">{t("number")}</th>
                  <th scope="col">{t("displayName")}</th>
                  <th scope="col">{t("registeredPhones")}</th>
                  <th scope="col">{t("dnd")}</th>
                  <th scope="col">{t("enabled")}</th>
                </tr>
              </thead>
              <tbody>
                {items.map((x) => (
                  <tr key={x.id} data-extension={x.number}>
                    <td>
                      <a href={`/extensions/${x.id}`}>{x.number}</a>
                    </td>
                    <td>{x.display_name}</td>
                    <td>{registered(x.id)}</td>
                    <td>{x.dnd ? t("yes") : t("no")}</td>
                    <td>{x.enabled ? t("yes") : t("no")}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </Show>
      <MoreButton paged={paged} />
    </section>
  );
}
