// Ring groups: the list (`/ring-groups`), a new one (`/ring-groups/new`) and one group
// (`/ring-groups/:id`), for the signed-in tenant admin's tenant.

import { useSubPath } from "../components/subpath";
import { useMe } from "../state";
import { NotFound } from "./NotFound";
import { NewRingGroup, RingGroupPage } from "./callflow/RingGroupForm";
import { RingGroupList } from "./callflow/RingGroupList";

export function RingGroups() {
  const tenant = useMe().tenant_id;
  const [id, ...rest] = useSubPath();
  if (!tenant || rest.length) return <NotFound />;
  if (id === undefined) return <RingGroupList tenant={tenant} />;
  if (id === "new") return <NewRingGroup tenant={tenant} />;
  return <RingGroupPage tenant={tenant} id={id} />;
}
