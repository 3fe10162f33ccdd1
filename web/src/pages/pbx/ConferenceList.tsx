import { api } from "../../api/client";
import { Show, useLoad } from "../../components/load";
import { useStrings, useT } from "../../i18n";
import { CS } from "./strings";

export function ConferenceList({ tenant }: { tenant: string }) {
  const t = useT();
  const s = useStrings(CS);
  const [list] = useLoad(
    () => api.GET("/v1/tenants/{tenant_id}/conferences", { params: { path: { tenant_id: tenant }, query: { limit: 200 } } }),
    [tenant],
  );
  return (
    <section>
      <h1>{s("title")}</h1>
      <p>
        <a class="cf-button" href="/conferences/new">
          {s("newConference")}
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
                    <th scope="col">{s("pinSet")}</th>
                    <th scope="col">{s("maxMembers")}</th>
                  </tr>
                </thead>
                <tbody>
                  {page.items.map((c) => (
                    <tr key={c.id}>
                      <td>
                        <a href={`/conferences/${c.id}`}>{c.number}</a>
                      </td>
                      <td>{c.name}</td>
                      <td>{c.has_pin ? s("yes") : s("no")}</td>
                      <td>{c.max_members}</td>
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
