// The tenant's IVR menus (`/ivr-menus`), a page at a time ("More"), and a link to a new one.

import { api } from "../../api/client";
import { OBJECT_PAGE, ObjectList } from "../../components/callflow/ObjectList";
import { usePaged } from "../../components/people/paged";
import { useStrings } from "../../i18n";
import { IVR } from "./ivrStrings";

export function IvrMenuList({ tenant }: { tenant: string }) {
  const s = useStrings(IVR);
  const paged = usePaged(
    (cursor) =>
      api.GET("/v1/tenants/{tenant_id}/ivr-menus", { params: { path: { tenant_id: tenant }, query: { limit: OBJECT_PAGE, cursor } } }),
    [tenant],
  );
  return (
    <ObjectList
      title={s("title")}
      base="/ivr-menus"
      newLabel={s("newMenu")}
      paged={paged}
      columns={[
        { header: s("greeting"), cell: (m) => (m.greeting.type === "recording" ? s("recording") : s("spoken")) },
        { header: s("options"), cell: (m) => m.options.map((o) => o.digit).join(" ") || "—" },
      ]}
    />
  );
}
