// The tenant's ring groups (`/ring-groups`), a page at a time ("More"), and a link to a new one.

import { useMemo } from "preact/hooks";
import { api } from "../../api/client";
import { DestinationText, newLabels } from "../../components/DestinationText";
import { Show } from "../../components/load";
import { usePaged } from "../../components/people/paged";
import { MoreButton } from "../../components/people/ui";
import { useStrings, useT } from "../../i18n";
import { RG } from "./ringGroupStrings";

const PAGE = 50;

export function RingGroupList({ tenant }: { tenant: string }) {
  const t = useT();
  const s = useStrings(RG);
  const labels = useMemo(newLabels, [tenant]);
  const paged = usePaged(
    (cursor) => api.GET("/v1/tenants/{tenant_id}/ring-groups", { params: { path: { tenant_id: tenant }, query: { limit: PAGE, cursor } } }),
    [tenant],
  );
  return (
    <section>
      <h1>{s("title")}</h1>
      <p>
        <a class="cf-button" href="/ring-groups/new">
          {s("newGroup")}
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
                    <th scope="col">{s("members")}</th>
                    <th scope="col">{s("fallback")}</th>
                  </tr>
                </thead>
                <tbody>
                  {items.map((g) => (
                    <tr key={g.id}>
                      <td>
                        <a href={`/ring-groups/${g.id}`}>{g.number}</a>
                      </td>
                      <td>{g.name}</td>
                      <td>{s(g.strategy)}</td>
                      <td>{g.members.length}</td>
                      <td>
                        <DestinationText tenant={tenant} value={g.fallback} labels={labels} />
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
