// The tenant's phone numbers (DIDs): the list with a claim form (`/dids`) and one number,
// where its calls go and its release (`/dids/:id`).

import { useSubPath } from "../components/subpath";
import { useMe } from "../state";
import { NotFound } from "./NotFound";
import { DidPage } from "./callflow/DidPage";
import { DidList } from "./callflow/DidList";

export function Dids() {
  const tenant = useMe().tenant_id;
  const [id, ...rest] = useSubPath();
  if (!tenant || rest.length) return <NotFound />;
  if (id === undefined) return <DidList tenant={tenant} />;
  return <DidPage tenant={tenant} id={id} />;
}
