// Placeholder: being built.
import { NotFound } from "./NotFound";

export function TimeConditions() {
  return <NotFound />;
}
