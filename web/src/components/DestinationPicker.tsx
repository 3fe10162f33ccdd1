// Choosing where a call goes: a kind (extension, ring group, IVR menu …) and then one of the
// tenant's objects of that kind, found by typing part of its number or name. Never a raw id
// field: the picker loads the tenant's objects through the same API a partner would call.

import { useContext, useEffect, useMemo, useState } from "preact/hooks";
import { api, type Schemas } from "../api/client";
import { LocaleContext, useT } from "../i18n";

export type Destination = Schemas["Destination"];
export type Kind = Destination["type"];

/** An object a destination can name, as the picker lists it. */
export interface Choice {
  id: string;
  label: string;
}

export const OBJECT_KINDS = [
  "extension",
  "voicemail_box",
  "ring_group",
  "ivr_menu",
  "queue",
  "conference",
  "time_condition",
] as const satisfies readonly Kind[];
export type ObjectKind = (typeof OBJECT_KINDS)[number];

export const KIND_LABELS: Record<Kind, { en: string; es: string }> = {
  extension: { en: "Extension", es: "Extensión" },
  voicemail_box: { en: "Voicemail box", es: "Buzón de voz" },
  ring_group: { en: "Ring group", es: "Grupo de timbrado" },
  ivr_menu: { en: "IVR menu", es: "Menú IVR" },
  queue: { en: "Queue", es: "Cola" },
  conference: { en: "Conference", es: "Conferencia" },
  time_condition: { en: "Time condition", es: "Condición horaria" },
  external_number: { en: "Outside number", es: "Número externo" },
  hangup: { en: "Hang up", es: "Colgar" },
};

const numbered = (x: { id: string; number: string; name: string }): Choice => ({
  id: x.id,
  label: `${x.number} · ${x.name}`,
});

/** At most this many pages of 200 objects per kind (a picker over 2,000 needs a server search). */
const MAX_PAGES = 10;

/** Every page of a cursor-paginated list, up to `MAX_PAGES`. */
async function allPages<T>(page: (cursor: string | undefined) => Promise<{ items: T[]; next_cursor?: string | null } | undefined>): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  for (let n = 0; n < MAX_PAGES; n++) {
    const data = await page(cursor);
    if (!data) break;
    items.push(...data.items);
    if (!data.next_cursor) break;
    cursor = data.next_cursor;
  }
  return items;
}

/** Loads the tenant's objects of one kind (all of them, up to 2,000), for the search to narrow. */
export async function loadChoices(tenant: string, kind: ObjectKind): Promise<Choice[]> {
  const at = (cursor: string | undefined) => ({ params: { path: { tenant_id: tenant }, query: { limit: 200, cursor } } });
  switch (kind) {
    case "extension":
      return (await allPages(async (c) => (await api.GET("/v1/tenants/{tenant_id}/extensions", at(c))).data)).map((x) => ({
        id: x.id,
        label: `${x.number} · ${x.display_name}`,
      }));
    case "voicemail_box":
      return (await allPages(async (c) => (await api.GET("/v1/tenants/{tenant_id}/voicemail-boxes", at(c))).data)).map((x) => ({
        id: x.id,
        label: x.mailbox,
      }));
    case "ring_group":
      return (await allPages(async (c) => (await api.GET("/v1/tenants/{tenant_id}/ring-groups", at(c))).data)).map(numbered);
    case "ivr_menu":
      return (await allPages(async (c) => (await api.GET("/v1/tenants/{tenant_id}/ivr-menus", at(c))).data)).map(numbered);
    case "queue":
      return (await allPages(async (c) => (await api.GET("/v1/tenants/{tenant_id}/queues", at(c))).data)).map(numbered);
    case "conference":
      return (await allPages(async (c) => (await api.GET("/v1/tenants/{tenant_id}/conferences", at(c))).data)).map(numbered);
    case "time_condition":
      return (await allPages(async (c) => (await api.GET("/v1/tenants/{tenant_id}/time-conditions", at(c))).data)).map((x) => ({
        id: x.id,
        label: x.name,
      }));
  }
}

/** Case- and accent-insensitive search over the labels. */
export function filterChoices(choices: Choice[], query: string): Choice[] {
  const fold = (s: string) => s.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase();
  const q = fold(query.trim());
  return q ? choices.filter((c) => fold(c.label).includes(q)) : choices;
}

interface Props {
  /** The field name problem+json errors use, also the inputs' id prefix. */
  name: string;
  label: string;
  tenant: string;
  value: Destination | null;
  onChange: (d: Destination | null) => void;
  /** Kinds offered; all by default. */
  kinds?: readonly Kind[];
  /** Allow "none" (for optional destinations such as forwarding). */
  optional?: boolean;
  error?: string;
  /** Stand-in for the API in tests. */
  load?: (tenant: string, kind: ObjectKind) => Promise<Choice[]>;
}

const isObjectKind = (k: string): k is ObjectKind => (OBJECT_KINDS as readonly string[]).includes(k);

export function DestinationPicker(props: Props) {
  const { name, label, tenant, value, onChange, optional, error } = props;
  const t = useT();
  const lang = useContext(LocaleContext).locale;
  const kinds = props.kinds ?? (Object.keys(KIND_LABELS) as Kind[]);
  const kind = value?.type ?? "";
  const [choices, setChoices] = useState<Choice[] | null>(null);
  const [query, setQuery] = useState("");
  const load = props.load ?? loadChoices;

  useEffect(() => {
    setChoices(null);
    // Ignore an answer that arrives after the kind or tenant changed: it lists the wrong objects.
    let current = true;
    // A failed load lists nothing rather than "Loading…" for ever; the form's save then
    // shows the API's answer.
    if (isObjectKind(kind))
      load(tenant, kind).then(
        (c) => current && setChoices(c),
        () => current && setChoices([]),
      );
    return () => {
      current = false;
    };
  }, [kind, tenant]);

  const shown = useMemo(() => filterChoices(choices ?? [], query), [choices, query]);
  const selectedId = value && "id" in value ? value.id : "";

  const pickKind = (k: string) => {
    setQuery("");
    if (k === "") onChange(null);
    else if (k === "hangup") onChange({ type: "hangup" });
    else if (k === "external_number") onChange({ type: "external_number", number: "" });
    else if (isObjectKind(k)) onChange({ type: k, id: "" } as Destination);
  };

  const id = `f-${name}`;
  return (
    <fieldset class="destination" aria-invalid={error ? "true" : undefined} aria-describedby={error ? `${id}-error` : undefined}>
      <legend>{label}</legend>
      <label for={`${id}-kind`}>{lang === "es" ? "Tipo" : "Kind"}</label>
      <select id={`${id}-kind`} value={kind} onChange={(e) => pickKind(e.currentTarget.value)}>
        {(optional || !value) && <option value="">{lang === "es" ? "— ninguno —" : "— none —"}</option>}
        {kinds.map((k) => (
          <option value={k}>{KIND_LABELS[k][lang]}</option>
        ))}
      </select>
      {value?.type === "external_number" && (
        <>
          <label for={`${id}-number`}>{t("number")}</label>
          <input
            id={`${id}-number`}
            inputMode="tel"
            placeholder="+34910000000"
            value={value.number}
            onInput={(e) => onChange({ type: "external_number", number: e.currentTarget.value })}
          />
        </>
      )}
      {isObjectKind(kind) && (
        <>
          <label for={`${id}-search`}>{lang === "es" ? "Buscar" : "Search"}</label>
          <input id={`${id}-search`} type="search" value={query} onInput={(e) => setQuery(e.currentTarget.value)} />
          <label for={`${id}-object`}>{KIND_LABELS[kind][lang]}</label>
          <select
            id={`${id}-object`}
            value={selectedId}
            aria-busy={choices === null ? "true" : undefined}
            onChange={(e) => onChange({ type: kind, id: e.currentTarget.value } as Destination)}
          >
            <option value="" disabled>
              {choices === null ? t("loading") : shown.length ? "…" : t("noItems")}
            </option>
            {shown.map((c) => (
              <option value={c.id}>{c.label}</option>
            ))}
          </select>
        </>
      )}
      {error && (
        <small id={`${id}-error`} class="field-error">
          {error}
        </small>
      )}
    </fieldset>
  );
}
