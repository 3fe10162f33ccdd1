import { useMemo } from "preact/hooks";
import { api } from "../../api/client";
import { DestinationText, newLabels } from "../../components/DestinationText";
import { Show, useLoad } from "../../components/load";
import { useStrings, useT } from "../../i18n";
import { QS } from "./strings";

export function QueueList({ tenant }: { tenant: string }) {
  const t = useT();
  const s = useStrings(QS);
  const labels = useMemo(newLabels, [tenant]);
  const [list] = useLoad(() => api.GET("/v1/tenants/{tenant_id}/queues", { params: { path: { tenant_id: tenant }, query: { limit: 200 } } }), [tenant]);
  return (
    <section>
      <h1>{s("title")}</h1>
      <p>
        <a class="cf-button" href="/queues/new">
          {s("newQueue")}
        </a>
      </p>
      <Show value={list}>
        {(page) =>
          page.items.length === 0 ? (
            <p>{t("noItems")}</p>
          ) : (
            <div class="cf-scroll">
              <table>
                <thead>
                  <tr>
                    <th scope="col">{t("number")}</th>
                    <th scope="col">{t("name")}</th>
                    <th scope="col">{s("strategy")}</th>
                    <th scope="col">{s("agentsCount")}</th>
                    <th scope="col">{s("timeout")}</th>
                  </tr>
                </thead>
                <tbody>
                  {page.items.map((q) => (
                    <tr key={q.id}>
                      <td>
                        <a href={`/queues/${q.id}`}>{q.number}</a>
                      </td>
                      <td>{q.name}</td>
                      <td>{s(q.strategy)}</td>
                      <td>{q.agents.length}</td>
                      <td>
                        <DestinationText tenant={tenant} value={q.timeout_destination} labels={labels} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </Show>
    </section>
  );
}
