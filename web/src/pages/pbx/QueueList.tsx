// The tenant's call queues (`/queues`), a page at a time ("More"), and a link to a new one.

import { useMemo } from "preact/hooks";
import { api } from "../../api/client";
import { OBJECT_PAGE, ObjectList } from "../../components/callflow/ObjectList";
import { DestinationText, newLabels } from "../../components/DestinationText";
import { usePaged } from "../../components/people/paged";
import { useStrings } from "../../i18n";
import { QS } from "./strings";

export function QueueList({ tenant }: { tenant: string }) {
  const s = useStrings(QS);
  const labels = useMemo(newLabels, [tenant]);
  const paged = usePaged(
    (cursor) =>
      api.GET("/v1/tenants/{tenant_id}/queues", { params: { path: { tenant_id: tenant }, query: { limit: OBJECT_PAGE, cursor } } }),
    [tenant],
  );
  return (
    <ObjectList
      title={s("title")}
      base="/queues"
      newLabel={s("newQueue")}
      paged={paged}
      columns={[
        { header: s("strategy"), cell: (q) => s(q.strategy) },
        { header: s("agentsCount"), cell: (q) => q.agents.length },
        {
          header: s("timeout"),
          cell: (q) => <DestinationText tenant={tenant} value={q.timeout_destination} labels={labels} />,
        },
      ]}
    />
  );
}
