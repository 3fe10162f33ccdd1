// Placeholder: being built.
import { NotFound } from "./NotFound";

export function Users() {
  return <NotFound />;
}
