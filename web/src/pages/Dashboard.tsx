import { api } from "../api/client";
import { Show, useLoad } from "../components/load";
import { useT } from "../i18n";
import { isTenantAdmin, useMe } from "../state";
import { MyPhones } from "./MyPhones";

export function Dashboard() {
  const t = useT();
  const me = useMe();
  const tenant = me.tenant_id;
  return (
    <section>
      <h1>{t("dashboard")}</h1>
      {tenant && isTenantAdmin(me) && <TenantSummary tenant={tenant} />}
      {tenant && !isTenantAdmin(me) && <MyPhones />}
      {!tenant && <p>{me.user?.email}</p>}
    </section>
  );
}

function TenantSummary({ tenant }: { tenant: string }) {
  const t = useT();
  const tenantPath = { params: { path: { tenant_id: tenant } } };
  const [extensions] = useLoad(
    () => api.GET("/v1/tenants/{tenant_id}/extensions", { params: { path: { tenant_id: tenant }, query: { limit: 200 } } }),
    [tenant],
  );
  const [balance] = useLoad(() => api.GET("/v1/tenants/{tenant_id}/balance", tenantPath), [tenant]);
  // The latest calls, not the first ten ever made.
  const [calls] = useLoad(
    () => api.GET("/v1/tenants/{tenant_id}/cdrs", { params: { path: { tenant_id: tenant }, query: { limit: 10, order: "newest" } } }),
    [tenant],
  );
  const [voicemail] = useLoad(() => api.GET("/v1/tenants/{tenant_id}/voicemail-summary", tenantPath), [tenant]);
  // As the switches report them (up to 30 s late); a node that could not be asked is said.
  const [phones] = useLoad(() => api.GET("/v1/tenants/{tenant_id}/registrations", tenantPath), [tenant]);
  return (
    <div class="cards">
      <article class="card">
        <h2>{t("registered")}</h2>
        <Show value={extensions}>
          {(page) => (
            <p class="figure" data-testid="extension-count">
              {page.items.length}
              {page.next_cursor ? "+" : ""}
            </p>
          )}
        </Show>
      </article>
      <article class="card">
        <h2>{t("registeredPhones")}</h2>
        <Show value={phones}>
          {(r) => (
            <>
              <p class="figure" data-testid="registered-count">
                {r.nodes_asked === 0 ? "—" : r.registered_extensions}
                {extensions.state === "ok" && (
                  <small>
                    {" "}
                    {t("ofExtensions")} {extensions.data.items.length}
                    {extensions.data.next_cursor ? "+" : ""}
                  </small>
                )}
              </p>
              {r.unavailable_nodes.length > 0 && (
                <p class="hint" role="status">
                  {t("nodesUnavailable")} {r.unavailable_nodes.map((n) => n.name).join(", ")}
                </p>
              )}
            </>
          )}
        </Show>
      </article>
      <article class="card">
        <h2>
          <a href="/voicemail">{t("voicemail")}</a>
        </h2>
        <Show value={voicemail}>
          {(v) => (
            <p class="figure" data-testid="voicemail-count">
              {v.unread}
              <small>
                {" "}
                {t("unreadOf")} {v.messages}
              </small>
            </p>
          )}
        </Show>
      </article>
      <article class="card">
        <h2>{t("balance")}</h2>
        <Show value={balance}>
          {(b) => (
            <p class="figure">
              {b.balance} {b.currency}
              <small>
                {" "}
                · {t("available")} {b.available}
              </small>
            </p>
          )}
        </Show>
      </article>
      <article class="card wide">
        <h2>
          <a href="/calls">{t("recentCalls")}</a>
        </h2>
        <Show value={calls}>
          {(page) =>
            page.items.length === 0 ? (
              <p>{t("noItems")}</p>
            ) : (
              <table>
                <thead>
                  <tr>
                    <th scope="col">{t("started")}</th>
                    <th scope="col">{t("caller")}</th>
                    <th scope="col">{t("destination")}</th>
                    <th scope="col">{t("duration")}</th>
                  </tr>
                </thead>
                <tbody>
                  {page.items.map((c) => (
                    <tr data-call={c.call_id}>
                      <td>{new Date(c.started_at).toLocaleString()}</td>
                      <td>{c.caller}</td>
                      <td>{c.destination_name ?? c.destination}</td>
                      <td>{c.duration_seconds} s</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )
          }
        </Show>
      </article>
    </div>
  );
}
