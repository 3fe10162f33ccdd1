// Conference rooms: the list (`/conferences`), a new one (`/conferences/new`) and one room
// (`/conferences/:id`), for the signed-in tenant admin's tenant.

import { useSubPath } from "../components/subpath";
import { useMe } from "../state";
import { NotFound } from "./NotFound";
import { ConferencePage, NewConference } from "./pbx/ConferenceForm";
import { ConferenceList } from "./pbx/ConferenceList";

export function Conferences() {
  const tenant = useMe().tenant_id;
  const [id, ...rest] = useSubPath();
  if (!tenant || rest.length) return <NotFound />;
  if (id === undefined) return <ConferenceList tenant={tenant} />;
  if (id === "new") return <NewConference tenant={tenant} />;
  return <ConferencePage tenant={tenant} id={id} />;
}
