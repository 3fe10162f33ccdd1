// The tenant's IVR menus (`/ivr-menus`), a page at a time ("More"), and a link to a new one.

import { api } from "../../api/client";
import { Show } from "../../components/load";
import { usePaged } from "../../components/people/paged";
import { MoreButton } from "../../components/people/ui";
import { useStrings, useT } from "../../i18n";
import { IVR } from "./ivrStrings";

const PAGE = 50;

export function IvrMenuList({ tenant }: { tenant: string }) {
  const t = useT();
  const s = useStrings(IVR);
  const paged = usePaged(
    (cursor) => api.GET("/v1/tenants/{tenant_id}/ivr-menus", { params: { path: { tenant_id: tenant }, query: { limit: PAGE, cursor } } }),
    [tenant],
  );
  return (
    <section>
      <h1>{s("title")}</h1>
      <p>
        <a class="cf-button" href="/ivr-menus/new">
          {s("newMenu")}
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
                    <th scope="col">{s("greeting")}</th>
                    <th scope="col">{s("options")}</th>
                  </tr>
                </thead>
                <tbody>
                  {items.map((m) => (
                    <tr key={m.id}>
                      <td>
                        <a href={`/ivr-menus/${m.id}`}>{m.number}</a>
                      </td>
                      <td>{m.name}</td>
                      <td>{m.greeting.type === "recording" ? s("recording") : s("spoken")}</td>
                      <td>{m.options.map((o) => o.digit).join(" ") || "—"}</td>
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
