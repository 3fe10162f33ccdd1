// The tenant's voicemail boxes (`/voicemail`) and one box's messages (`/voicemail/:boxId`).

import { api } from "../api/client";
import { Show } from "../components/load";
import { usePaged } from "../components/people/paged";
import { useSubPath } from "../components/subpath";
import { MoreButton, TableWrap } from "../components/people/ui";
import { useT } from "../i18n";
import { useMe } from "../state";
import { NotFound } from "./NotFound";
import { VoicemailBox } from "./people/VoicemailBox";
import { usePeople } from "./people/strings";

export function Voicemail() {
  const [boxId, ...rest] = useSubPath();
  if (!boxId) return <Boxes />;
  return rest.length ? <NotFound /> : <VoicemailBox key={boxId} boxId={boxId} />;
}

function Boxes() {
  const t = useT();
  const s = usePeople();
  const tenant = useMe().tenant_id ?? "";
  const paged = usePaged(
    (cursor) =>
      api.GET("/v1/tenants/{tenant_id}/voicemail-boxes", {
        params: { path: { tenant_id: tenant }, query: { limit: 100, cursor } },
      }),
    [tenant],
  );
  if (!tenant) return <NotFound />;

  return (
    <section>
      <h1>{s("mailboxes")}</h1>
      <Show value={paged.list}>
        {(boxes) =>
          boxes.length === 0 ? (
            <p>{t("noItems")}</p>
          ) : (
            <TableWrap label={s("boxesTable")}>
              <table>
                <thead>
                  <tr>
                    <th scope="col">{s("mailbox")}</th>
                    <th scope="col">{s("emails")}</th>
                    <th scope="col">{t("enabled")}</th>
                  </tr>
                </thead>
                <tbody>
                  {boxes.map((b) => (
                    <tr key={b.id}>
                      <td>
                        <a href={`/voicemail/${b.id}`}>
                          {b.mailbox} <span class="sr-only">· {s("messages")}</span>
                        </a>
                      </td>
                      <td>{b.emails.length ? b.emails.join(", ") : "—"}</td>
                      <td>{b.enabled ? t("yes") : t("no")}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableWrap>
          )
        }
      </Show>
      <MoreButton paged={paged} />
    </section>
  );
}
