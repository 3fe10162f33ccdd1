// A destination in words ("Extension 1001 · Reception", "Hang up"), looking the object up
// through the same loader the destination picker uses. A page passes one `LabelCache` to
// all its rows so each kind is loaded once per page, not once per row.

import { useEffect, useState } from "preact/hooks";
import { loadChoices, type Choice, type Destination, type ObjectKind } from "../DestinationPicker";
import { useStrings, type Strings } from "../../i18n";

export type LabelCache = Map<string, Promise<Choice[]>>;

const KINDS: Strings<Destination["type"] | "unknownObject"> = {
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
    unknownObject: "(no longer exists)",
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
    unknownObject: "(ya no existe)",
  },
};

function objectLabel(cache: LabelCache, tenant: string, kind: ObjectKind, id: string): Promise<string | null> {
  const key = `${tenant}:${kind}`;
  let list = cache.get(key);
  if (!list) {
    list = loadChoices(tenant, kind).catch(() => []);
    cache.set(key, list);
  }
  return list.then((choices) => choices.find((c) => c.id === id)?.label ?? null);
}

export function DestinationText({ tenant, destination, cache }: { tenant: string; destination: Destination; cache: LabelCache }) {
  const s = useStrings(KINDS);
  const [label, setLabel] = useState<string | null | undefined>(undefined);
  const id = "id" in destination ? destination.id : null;
  useEffect(() => {
    let live = true;
    setLabel(undefined);
    if (id !== null)
      void objectLabel(cache, tenant, destination.type as ObjectKind, id).then((l) => live && setLabel(l));
    return () => {
      live = false;
    };
  }, [tenant, destination.type, id]);

  const kind = s(destination.type);
  if (destination.type === "hangup") return <span>{kind}</span>;
  if (destination.type === "external_number")
    return (
      <span>
        {kind} {destination.number}
      </span>
    );
  return (
    <span>
      {kind} {label === undefined ? "…" : (label ?? s("unknownObject"))}
    </span>
  );
}
