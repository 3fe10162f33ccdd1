// A partner's child tenants (a platform admin's: all top-level ones), a page at a time
// ("More"): create, suspend, resume, and a link to each one's billing terms.

import { useState } from "preact/hooks";
import { api, ifMatch, type Schemas } from "../api/client";
import { showProblem, type ShownProblem } from "../api/problem";
import { Confirm } from "../components/Confirm";
import { Field } from "../components/Field";
import { Show } from "../components/load";
import { usePaged } from "../components/people/paged";
import { MoreButton } from "../components/people/ui";
import { refreshItem, replaceItem } from "../components/refreshItem";
import { useT } from "../i18n";
import { useMe } from "../state";

type Tenant = Schemas["TenantView"];
const INPUTS = ["name", "slug", "domain"] as const;
const PAGE = 50;

export function Tenants() {
  const t = useT();
  const me = useMe();
  const [problem, setProblem] = useState<ShownProblem | null>(null);
  const paged = usePaged(
    (cursor) =>
      api.GET("/v1/tenants", {
        params: { query: me.tenant_id ? { parent_id: me.tenant_id, limit: PAGE, cursor } : { limit: PAGE, cursor } },
      }),
    [me.tenant_id],
  );

  const create = async (e: Event) => {
    e.preventDefault();
    const formEl = e.currentTarget as HTMLFormElement;
    const form = new FormData(formEl);
    const slug = String(form.get("slug") ?? "").trim();
    const { data, error } = await api.POST("/v1/tenants", {
      body: { name: String(form.get("name")), slug: slug || null },
    });
    if (data) {
      setProblem(null);
      formEl.reset();
      paged.reload();
    } else setProblem(showProblem(error, INPUTS));
  };

  const setStatus = async (tenant: Tenant, status: Tenant["status"]) => {
    const { data, error } = await api.PATCH("/v1/tenants/{tenant_id}", {
      params: { path: { tenant_id: tenant.id }, header: ifMatch(tenant.version) },
      body: { status },
    });
    // The tenant changed in its place: the pages loaded stay. A refusal (someone changed it
    // meanwhile) reads it again, so the row and its version are current for the next try.
    if (data) paged.update((items) => replaceItem(items, data));
    else {
      setProblem(showProblem(error));
      await refreshItem(paged.update, tenant.id, () => api.GET("/v1/tenants/{tenant_id}", { params: { path: { tenant_id: tenant.id } } }));
    }
  };

  return (
    <section>
      <h1>{t("tenants")}</h1>
      <form class="inline" onSubmit={create} aria-labelledby="new-tenant">
        <h2 id="new-tenant">{t("newTenant")}</h2>
        {problem && (
          <p role="alert" class="error">
            {problem.summary}
          </p>
        )}
        <Field name="name" label={t("name")} required error={problem?.fields.name} />
        <Field name="slug" label={t("slug")} error={problem?.fields.slug} />
        <button type="submit">{t("create")}</button>
      </form>
      <Show value={paged.list}>
        {(items) =>
          items.length === 0 ? (
            <p>{t("noItems")}</p>
          ) : (
            <table>
              <thead>
                <tr>
                  <th scope="col">{t("name")}</th>
                  <th scope="col">{t("slug")}</th>
                  <th scope="col">{t("status")}</th>
                  <th scope="col">
                    <span class="sr-only">{t("edit")}</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {items.map((x) => (
                  <tr key={x.id} data-tenant={x.slug}>
                    <td>{x.name}</td>
                    <td>{x.slug}</td>
                    <td>{x.status === "active" ? t("active") : t("suspended")}</td>
                    <td class="actions">
                      <a href={`/tenants/${x.id}/billing`}>
                        {t("billingTerms")} <span class="sr-only">{x.name}</span>
                      </a>{" "}
                      {x.status === "active" ? (
                        <Confirm
                          action={t("suspend")}
                          name={x.name}
                          question={t("suspendQuestion")}
                          confirm={t("suspend")}
                          onConfirm={() => setStatus(x, "suspended")}
                        />
                      ) : (
                        <button type="button" onClick={() => void setStatus(x, "active")}>
                          {t("resume")} <span class="sr-only">{x.name}</span>
                        </button>
                      )}
                    </td>
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
