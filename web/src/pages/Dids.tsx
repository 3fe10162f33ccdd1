// Placeholder: being built.
import { NotFound } from "./NotFound";

export function Dids() {
  return <NotFound />;
}
