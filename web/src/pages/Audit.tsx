// The tenant's audit log: who changed what, when, and (for support staff) why.

import { useState } from "preact/hooks";
import { api, type Schemas } from "../api/client";
import { Show, useLoad } from "../components/load";
import { useStrings, type Strings } from "../i18n";
import { useMe } from "../state";
import { NotFound } from "./NotFound";

type Event = Schemas["AuditEventView"];

const S: Strings<"title" | "when" | "action" | "who" | "reason" | "more" | "none"> = {
  en: { title: "Audit log", when: "When", action: "Action", who: "Who", reason: "Reason", more: "More", none: "Nothing recorded yet." },
  es: { title: "Registro de auditoría", when: "Cuándo", action: "Acción", who: "Quién", reason: "Motivo", more: "Más", none: "Todavía no hay registros." },
};

export function Audit() {
  const s = useStrings(S);
  const me = useMe();
  const tenant = me.tenant_id;
  const [more, setMore] = useState<Event[]>([]);
  const [cursor, setCursor] = useState<string | null | undefined>(undefined);
  const [first] = useLoad(
    () => api.GET("/v1/tenants/{tenant_id}/audit-events", { params: { path: { tenant_id: tenant ?? "" }, query: { limit: 50 } } }),
    [tenant],
  );
  if (!tenant) return <NotFound />;

  const loadMore = async (from: string) => {
    const { data } = await api.GET("/v1/tenants/{tenant_id}/audit-events", {
      params: { path: { tenant_id: tenant }, query: { limit: 50, cursor: from } },
    });
    if (data) {
      setMore((m) => [...m, ...data.items]);
      setCursor(data.next_cursor ?? null);
    }
  };

  return (
    <section>
      <h1>{s("title")}</h1>
      <Show value={first}>
        {(page) => {
          const items = [...page.items, ...more];
          const next = cursor === undefined ? page.next_cursor : cursor;
          return items.length === 0 ? (
            <p>{s("none")}</p>
          ) : (
            <>
              <table>
                <thead>
                  <tr>
                    <th scope="col">{s("when")}</th>
                    <th scope="col">{s("action")}</th>
                    <th scope="col">{s("who")}</th>
                    <th scope="col">{s("reason")}</th>
                  </tr>
                </thead>
                <tbody>
                  {items.map((e) => (
                    <tr>
                      <td>{new Date(e.occurred_at).toLocaleString()}</td>
                      <td>{e.action}</td>
                      <td>{e.actor_role ?? e.actor_type}</td>
                      <td>{e.acting_reason ?? ""}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              {next && (
                <button type="button" onClick={() => void loadMore(next)}>
                  {s("more")}
                </button>
              )}
            </>
          );
        }}
      </Show>
    </section>
  );
}
