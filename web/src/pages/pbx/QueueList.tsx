// The tenant's call queues (`/queues`), a page at a time ("More"), and a link to a new one.

import { useMemo } from "preact/hooks";
import { api } from "../../api/client";
import { DestinationText, newLabels } from "../../components/DestinationText";
import { Show } from "../../components/load";
import { usePaged } from "../../components/people/paged";
import { MoreButton } from "../../components/people/ui";
import { useStrings, useT } from "../../i18n";
import { QS } from "./strings";

const PAGE = 50;

export function QueueList({ tenant }: { tenant: string }) {
  const t = useT();
  const s = useStrings(QS);
  const labels = useMemo(newLabels, [tenant]);
  const paged = usePaged(
    (cursor) => api.GET("/v1/tenants/{tenant_id}/queues", { params: { path: { tenant_id: tenant }, query: { limit: PAGE, cursor } } }),
    [tenant],
  );
  return (
    <section>
      <h1>{s("title")}</h1>
      <p>
        <a class="cf-button" href="/queues/new">
          {s("newQueue")}
        </a>
      </p>
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
                    <th scope="col">{t("name")}</th>
                    <th scope="col">{s("strategy")}</th>
                    <th scope="col">{s("agentsCount")}</th>
                    <th scope="col">{s("timeout")}</th>
                  </tr>
                </thead>
                <tbody>
                  {items.map((q) => (
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
      <MoreButton paged={paged} />
    </section>
  );
}
