// Placeholder: being built.
import { NotFound } from "./NotFound";

export function Voicemail() {
  return <NotFound />;
}
