// Placeholder: being built.
import { NotFound } from "./NotFound";

export function IvrMenus() {
  return <NotFound />;
}
