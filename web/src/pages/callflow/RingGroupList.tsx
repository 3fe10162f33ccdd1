import { useMemo } from "preact/hooks";
import { api } from "../../api/client";
import { DestinationText, newLabels } from "../../components/DestinationText";
import { Show, useLoad } from "../../components/load";
import { useStrings, useT } from "../../i18n";
import { RG } from "./ringGroupStrings";

export function RingGroupList({ tenant }: { tenant: string }) {
  const t = useT();
  const s = useStrings(RG);
  const labels = useMemo(newLabels, [tenant]);
  const [list] = useLoad(
    () => api.GET("/v1/tenants/{tenant_id}/ring-groups", { params: { path: { tenant_id: tenant }, query: { limit: 200 } } }),
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
                    <th scope="col">{s("members")}</th>
                    <th scope="col">{s("fallback")}</th>
                  </tr>
                </thead>
                <tbody>
                  {page.items.map((g) => (
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
    </section>
  );
}
