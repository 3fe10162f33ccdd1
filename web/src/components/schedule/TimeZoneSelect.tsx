// Choosing an IANA time zone: the browser's list, narrowed by typing part of a name
// ("madrid", "new york"). The chosen zone stays listed whatever the search, so the select
// never shows a value it does not hold.

import { useMemo, useState } from "preact/hooks";

let zones: string[] | null = null;

/** Every zone the browser knows, plus UTC (which some engines leave out). */
export function allTimeZones(): string[] {
  if (!zones) {
    let list: string[] = [];
    try {
      list = Intl.supportedValuesOf("timeZone");
    } catch {
      /* an old engine: the chosen zone and UTC only */
    }
    zones = list.includes("UTC") ? list : [...list, "UTC"];
  }
  return zones;
}

const fold = (s: string) =>
  s
    .normalize("NFD")
    .replace(/\p{M}/gu, "")
    .replace(/[_/]/g, " ")
    .toLowerCase();

export function filterZones(all: string[], query: string, keep: string): string[] {
  const q = fold(query.trim());
  const shown = q ? all.filter((z) => fold(z).includes(q)) : all;
  return keep && !shown.includes(keep) ? [keep, ...shown] : shown;
}

interface Props {
  id: string;
  label: string;
  searchLabel: string;
  value: string;
  onChange: (zone: string) => void;
  error?: string;
}

export function TimeZoneSelect({ id, label, searchLabel, value, onChange, error }: Props) {
  const [query, setQuery] = useState("");
  const shown = useMemo(() => filterZones(allTimeZones(), query, value), [query, value]);
  return (
    <div class="field sb-tz">
      <label for={`${id}-search`}>{searchLabel}</label>
      <input id={`${id}-search`} type="search" value={query} onInput={(e) => setQuery(e.currentTarget.value)} />
      <label for={id}>{label}</label>
      <select
        id={id}
        value={value}
        aria-invalid={error ? "true" : undefined}
        aria-describedby={error ? `${id}-error` : undefined}
        onChange={(e) => onChange(e.currentTarget.value)}
      >
        {shown.map((z) => (
          <option value={z}>{z}</option>
        ))}
      </select>
      {error && (
        <small id={`${id}-error`} class="field-error">
          {error}
        </small>
      )}
    </div>
  );
}
