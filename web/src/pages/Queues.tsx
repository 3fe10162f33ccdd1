// Call queues: the list (`/queues`), a new one (`/queues/new`) and one queue
// (`/queues/:id`), for the signed-in tenant admin's tenant.

import { useSubPath } from "../components/subpath";
import { useMe } from "../state";
import { NotFound } from "./NotFound";
import { NewQueue, QueuePage } from "./pbx/QueueForm";
import { QueueList } from "./pbx/QueueList";

export function Queues() {
  const tenant = useMe().tenant_id;
  const [id, ...rest] = useSubPath();
  if (!tenant || rest.length) return <NotFound />;
  if (id === undefined) return <QueueList tenant={tenant} />;
  if (id === "new") return <NewQueue tenant={tenant} />;
  return <QueuePage tenant={tenant} id={id} />;
}
