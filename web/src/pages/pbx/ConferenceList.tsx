// The tenant's conference rooms (`/conferences`), a page at a time ("More"), and a link to a new one.

import { api } from "../../api/client";
import { Show } from "../../components/load";
import { usePaged } from "../../components/people/paged";
import { MoreButton } from "../../components/people/ui";
import { useStrings, useT } from "../../i18n";
import { CS } from "./strings";

const PAGE = 50;

export function ConferenceList({ tenant }: { tenant: string }) {
  const t = useT();
  const s = useStrings(CS);
  const paged = usePaged(
    (cursor) => api.GET("/v1/tenants/{tenant_id}/conferences", { params: { path: { tenant_id: tenant }, query: { limit: PAGE, cursor } } }),
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
                    <th scope="col">{s("pinSet")}</th>
                    <th scope="col">{s("maxMembers")}</th>
                  </tr>
                </thead>
                <tbody>
                  {items.map((c) => (
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
      <MoreButton paged={paged} />
    </section>
  );
}
