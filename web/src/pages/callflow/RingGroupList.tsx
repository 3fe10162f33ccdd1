// The tenant's ring groups (`/ring-groups`), a page at a time ("More"), and a link to a new one.

import { useMemo } from "preact/hooks";
import { api } from "../../api/client";
import { OBJECT_PAGE, ObjectList } from "../../components/callflow/ObjectList";
import { DestinationText, newLabels } from "../../components/DestinationText";
import { usePaged } from "../../components/people/paged";
import { useStrings } from "../../i18n";
import { RG } from "./ringGroupStrings";

export function RingGroupList({ tenant }: { tenant: string }) {
  const s = useStrings(RG);
  const labels = useMemo(newLabels, [tenant]);
  const paged = usePaged(
    (cursor) =>
      api.GET("/v1/tenants/{tenant_id}/ring-groups", { params: { path: { tenant_id: tenant }, query: { limit: OBJECT_PAGE, cursor } } }),
    [tenant],
  );
  return (
    <ObjectList
      title={s("title")}
      base="/ring-groups"
      newLabel={s("newGroup")}
      paged={paged}
      columns={[
        { header: s("strategy"), cell: (g) => s(g.strategy) },
        { header: s("members"), cell: (g) => g.members.length },
        { header: s("fallback"), cell: (g) => <DestinationText tenant={tenant} value={g.fallback} labels={labels} /> },
      ]}
    />
  );
}
