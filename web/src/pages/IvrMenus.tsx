// IVR menus: the list (`/ivr-menus`), a new one (`/ivr-menus/new`) and one menu with its
// greeting (`/ivr-menus/:id`), for the signed-in tenant admin's tenant.

import { useSubPath } from "../components/subpath";
import { useMe } from "../state";
import { NotFound } from "./NotFound";
import { IvrMenuPage, NewIvrMenu } from "./callflow/IvrMenuForm";
import { IvrMenuList } from "./callflow/IvrMenuList";

export function IvrMenus() {
  const tenant = useMe().tenant_id;
  const [id, ...rest] = useSubPath();
  if (!tenant || rest.length) return <NotFound />;
  if (id === undefined) return <IvrMenuList tenant={tenant} />;
  if (id === "new") return <NewIvrMenu tenant={tenant} />;
  return <IvrMenuPage tenant={tenant} id={id} />;
}
