// The tenant's API keys: what partners' integrations use. The secret is shown once, at
// creation; a key is revoked, never edited. Revoked keys stay listed, a page at a time ("More").

import { useState } from "preact/hooks";
import { api, type Schemas } from "../api/client";
import { showProblem, type ShownProblem } from "../api/problem";
import { Field } from "../components/Field";
import { Show } from "../components/load";
import { usePaged } from "../components/people/paged";
import { MoreButton } from "../components/people/ui";
import { refreshItem } from "../components/refreshItem";
import { Secret } from "../components/Secret";
import { useStrings, type Strings } from "../i18n";
import { useMe } from "../state";
import { NotFound } from "./NotFound";

type Role = Schemas["Role"];
const INPUTS = ["name", "role", "expires_at"] as const;
const ROLES: readonly Role[] = ["tenant_admin", "tenant_user", "partner_admin"];
const PAGE = 50;

const S: Strings<
  "title" | "create" | "name" | "role" | "expires" | "expiresHint" | "prefix" | "lastUsed" | "never" | "revoke" | "revoked" | "secret" | "none" | "confirm" | "cancel"
> = {
  en: {
    title: "API keys",
    create: "Create key",
    name: "Name",
    role: "Role",
    expires: "Expires (optional)",
    expiresHint: "The key stops working then.",
    prefix: "Key starts with",
    lastUsed: "Last used",
    never: "never",
    revoke: "Revoke",
    revoked: "Revoked",
    secret: "API key",
    none: "No keys yet.",
    confirm: "Revoke this key? Integrations using it stop working at once.",
    cancel: "Cancel",
  },
  es: {
    title: "Claves de API",
    create: "Crear clave",
    name: "Nombre",
    role: "Rol",
    expires: "Caduca (opcional)",
    expiresHint: "La clave deja de funcionar entonces.",
    prefix: "La clave empieza por",
    lastUsed: "Último uso",
    never: "nunca",
    revoke: "Revocar",
    revoked: "Revocada",
    secret: "Clave de API",
    none: "Todavía no hay claves.",
    confirm: "¿Revocar esta clave? Las integraciones que la usan dejarán de funcionar enseguida.",
    cancel: "Cancelar",
  },
};

export function ApiKeys() {
  const s = useStrings(S);
  const me = useMe();
  const tenant = me.tenant_id;
  const [created, setCreated] = useState<string | null>(null);
  const [problem, setProblem] = useState<ShownProblem | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);
  const paged = usePaged(
    (cursor) =>
      api.GET("/v1/tenants/{tenant_id}/api-keys", {
        params: { path: { tenant_id: tenant ?? "" }, query: { limit: PAGE, cursor, include_revoked: true } },
      }),
    [tenant],
  );
  if (!tenant) return <NotFound />;

  const create = async (e: Event) => {
    e.preventDefault();
    const formEl = e.currentTarget as HTMLFormElement;
    const form = new FormData(formEl);
    const expires = String(form.get("expires_at") ?? "");
    const { data, error } = await api.POST("/v1/tenants/{tenant_id}/api-keys", {
      params: { path: { tenant_id: tenant } },
      body: {
        name: String(form.get("name") ?? ""),
        role: String(form.get("role")) as Role,
        expires_at: expires ? new Date(expires).toISOString() : null,
      },
    });
    if (data) {
      setCreated(data.key);
      setProblem(null);
      formEl.reset();
      paged.reload();
    } else setProblem(showProblem(error, INPUTS));
  };

  const revoke = async (id: string) => {
    const { error } = await api.DELETE("/v1/tenants/{tenant_id}/api-keys/{key_id}", { params: { path: { tenant_id: tenant, key_id: id } } });
    setConfirming(null);
    if (error) setProblem(showProblem(error));
    // The key as it is now (revoked, or still not if that failed), in its place: the pages
    // loaded stay.
    await refreshItem(paged.update, id, () =>
      api.GET("/v1/tenants/{tenant_id}/api-keys/{key_id}", { params: { path: { tenant_id: tenant, key_id: id } } }),
    );
  };

  return (
    <section>
      <h1>{s("title")}</h1>
      <form class="inline" onSubmit={create} aria-labelledby="new-key">
        <h2 id="new-key">{s("create")}</h2>
        {problem && (
          <p role="alert" class="error">
            {problem.summary}
          </p>
        )}
        <Field name="name" label={s("name")} required error={problem?.fields.name} />
        <div class="field">
          <label for="f-role">{s("role")}</label>
          <select id="f-role" name="role">
            {ROLES.filter((r) => r !== "partner_admin" || me.role === "partner_admin" || me.role === "platform_admin").map((r) => (
              <option value={r}>{r}</option>
            ))}
          </select>
          {problem?.fields.role && <small class="field-error">{problem.fields.role}</small>}
        </div>
        <Field name="expires_at" label={s("expires")} type="datetime-local" hint={s("expiresHint")} error={problem?.fields.expires_at} />
        <button type="submit">{s("create")}</button>
      </form>
      {created && <Secret label={s("secret")} value={created} />}
      <Show value={paged.list}>
        {(items) =>
          items.length === 0 ? (
            <p>{s("none")}</p>
          ) : (
            <table>
              <thead>
                <tr>
                  <th scope="col">{s("name")}</th>
                  <th scope="col">{s("role")}</th>
                  <th scope="col">{s("prefix")}</th>
                  <th scope="col">{s("lastUsed")}</th>
                  <th scope="col">
                    <span class="sr-only">{s("revoke")}</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {items.map((k) => (
                  <tr key={k.id}>
                    <td>{k.name}</td>
                    <td>{k.role}</td>
                    <td>
                      <code>{k.prefix}</code>
                    </td>
                    <td>{k.last_used_at ? new Date(k.last_used_at).toLocaleString() : s("never")}</td>
                    <td>
                      {k.revoked_at ? (
                        s("revoked")
                      ) : confirming === k.id ? (
                        <span class="confirm" role="group" aria-label={s("confirm")}>
                          <span>{s("confirm")}</span>
                          <button type="button" class="danger" onClick={() => void revoke(k.id)}>
                            {s("revoke")} <span class="sr-only">{k.name}</span>
                          </button>
                          <button type="button" class="secondary" onClick={() => setConfirming(null)}>
                            {s("cancel")}
                          </button>
                        </span>
                      ) : (
                        <button type="button" onClick={() => setConfirming(k.id)}>
                          {s("revoke")} <span class="sr-only">{k.name}</span>
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
