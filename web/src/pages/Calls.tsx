// Placeholder: being built.
import { NotFound } from "./NotFound";

export function Calls() {
  return <NotFound />;
}
