// Placeholder: being built.
import { NotFound } from "./NotFound";

export function Billing() {
  return <NotFound />;
}
