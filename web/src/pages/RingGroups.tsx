// Placeholder: being built.
import { NotFound } from "./NotFound";

export function RingGroups() {
  return <NotFound />;
}
