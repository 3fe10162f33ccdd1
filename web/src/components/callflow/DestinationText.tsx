// A destination as words in a list ("IVR menu 500 · Main menu"), looked up through the
// same loader the picker uses. A list shares one `Labels` cache, so twenty DIDs pointing at
// menus cost one request for the menus, not twenty.

import { useEffect, useState } from "preact/hooks";
import { useStrings, type Strings } from "../../i18n";
import { loadChoices, OBJECT_KINDS, type Choice, type Destination, type ObjectKind } from "../DestinationPicker";

export type Labels = Map<ObjectKind, Promise<Choice[]>>;
export const newLabels = (): Labels => new Map();

const S: Strings<Destination["type"] | "none"> = {
  en: {
    extension: "Extension",
    voicemail_box: "Voicemail box",
    ring_group: "Ring group",
    ivr_menu: "IVR menu",
    queue: "Queue",
    conference: "Conference",
    time_condition: "Time condition",
    external_number: "Outside number",
    hangup: "Hang up",
    none: "Not set: calls are not answered",
  },
  es: {
    extension: "Extensión",
    voicemail_box: "Buzón de voz",
    ring_group: "Grupo de timbrado",
    ivr_menu: "Menú IVR",
    queue: "Cola",
    conference: "Conferencia",
    time_condition: "Condición horaria",
    external_number: "Número externo",
    hangup: "Colgar",
    none: "Sin destino: las llamadas no se atienden",
  },
};

const isObjectKind = (k: string): k is ObjectKind => (OBJECT_KINDS as readonly string[]).includes(k);

export function DestinationText({ tenant, value, labels }: { tenant: string; value: Destination | null | undefined; labels: Labels }) {
  const s = useStrings(S);
  const [name, setName] = useState<string | null>(null);
  const kind = value?.type;
  const id = value && "id" in value ? value.id : "";

  useEffect(() => {
    setName(null);
    if (!kind || !isObjectKind(kind)) return;
    let live = true;
    let pending = labels.get(kind);
    if (!pending) {
      pending = loadChoices(tenant, kind);
      labels.set(kind, pending);
    }
    pending.then(
      (choices) => live && setName(choices.find((c) => c.id === id)?.label ?? "?"),
      () => live && setName("?"),
    );
    return () => {
      live = false;
    };
  }, [tenant, kind, id, labels]);

  if (!value) return <span class="hint">{s("none")}</span>;
  if (value.type === "hangup") return <>{s("hangup")}</>;
  if (value.type === "external_number") return <>{`${s("external_number")} ${value.number}`}</>;
  return <>{`${s(value.type)} ${name ?? "…"}`}</>;
}
