// A destination in words for lists ("IVR menu 500 · Main menu", "Hang up"), the object
// looked up through the same loader the picker uses. A page passes one `Labels` cache to all
// its rows, so twenty DIDs pointing at menus cost one request for the menus, not twenty.

import { useContext, useEffect, useState } from "preact/hooks";
import { LocaleContext } from "../i18n";
import { KIND_LABELS, loadChoices, OBJECT_KINDS, type Choice, type Destination, type ObjectKind } from "./DestinationPicker";

/** Loaded objects by `tenant:kind`. */
export type Labels = Map<string, Promise<Choice[]>>;
export const newLabels = (): Labels => new Map();

const GONE = { en: "(no longer exists)", es: "(ya no existe)" };
const isObjectKind = (k: string): k is ObjectKind => (OBJECT_KINDS as readonly string[]).includes(k);

interface Props {
  tenant: string;
  value: Destination | null | undefined;
  labels: Labels;
  /** Shown when there is no destination (default "—"). */
  none?: string;
}

export function DestinationText({ tenant, value, labels, none }: Props) {
  const { locale } = useContext(LocaleContext);
  // undefined: loading; null: the object is gone (or could not be loaded).
  const [name, setName] = useState<string | null | undefined>(undefined);
  const kind = value?.type;
  const id = value && "id" in value ? value.id : "";

  useEffect(() => {
    setName(undefined);
    if (!kind || !isObjectKind(kind)) return;
    let live = true;
    const key = `${tenant}:${kind}`;
    let pending = labels.get(key);
    if (!pending) {
      pending = loadChoices(tenant, kind).catch(() => []);
      labels.set(key, pending);
    }
    void pending.then((choices) => live && setName(choices.find((c) => c.id === id)?.label ?? null));
    return () => {
      live = false;
    };
  }, [tenant, kind, id, labels]);

  if (!value) return <span class="hint">{none ?? "—"}</span>;
  const kindLabel = KIND_LABELS[value.type][locale];
  if (value.type === "hangup") return <>{kindLabel}</>;
  if (value.type === "external_number") return <>{`${kindLabel} ${value.number}`}</>;
  return <>{`${kindLabel} ${name === undefined ? "…" : (name ?? GONE[locale])}`}</>;
}
