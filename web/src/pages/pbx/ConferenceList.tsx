// The tenant's conference rooms (`/conferences`), a page at a time ("More"), and a link to a new one.

import { api } from "../../api/client";
import { OBJECT_PAGE, ObjectList } from "../../components/callflow/ObjectList";
import { usePaged } from "../../components/people/paged";
import { useStrings } from "../../i18n";
import { CS } from "./strings";

export function ConferenceList({ tenant }: { tenant: string }) {
  const s = useStrings(CS);
  const paged = usePaged(
    (cursor) =>
      api.GET("/v1/tenants/{tenant_id}/conferences", { params: { path: { tenant_id: tenant }, query: { limit: OBJECT_PAGE, cursor } } }),
    [tenant],
  );
  return (
    <ObjectList
      title={s("title")}
      base="/conferences"
      newLabel={s("newConference")}
      paged={paged}
      columns={[
        { header: s("pinSet"), cell: (c) => (c.has_pin ? s("yes") : s("no")) },
        { header: s("maxMembers"), cell: (c) => c.max_members },
      ]}
    />
  );
}
