// The keys of an IVR menu: each row a key (0-9, *, #) and where pressing it sends the call.
// A key used twice is flagged as soon as it is chosen, but the form still lets the API
// decide (its answer is shown at the same place): the editor never silently drops a row.

import type { Schemas } from "../../api/client";
import { useStrings, type Strings } from "../../i18n";
import { DestinationPicker, type Choice, type Destination, type ObjectKind } from "../DestinationPicker";
import { rowKey } from "./destinations";
import { fill } from "./strings";

type IvrOption = Schemas["IvrOption"];

export interface OptionRow {
  key: number;
  digit: string;
  destination: Destination | null;
}

/** The keys a menu can use, in keypad order; a menu has at most one option per key. */
export const DIGITS = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "0", "*", "#"] as const;
export const OPTION_FIELDS = ["digit", "destination"] as const;

/** A new row on the first free key (or the last key when all are taken). */
export function newOptionRow(rows: OptionRow[]): OptionRow {
  const used = new Set(rows.map((r) => r.digit));
  const digit = DIGITS.find((d) => !used.has(d)) ?? "#";
  return { key: rowKey(), digit, destination: null };
}

export function optionRows(options: IvrOption[]): OptionRow[] {
  return options.map((o) => ({ key: rowKey(), digit: o.digit, destination: o.destination }));
}

/** Indexes of rows whose key an earlier row already uses. */
export function duplicateRows(rows: OptionRow[]): Set<number> {
  const seen = new Set<string>();
  const dup = new Set<number>();
  rows.forEach((r, i) => {
    if (seen.has(r.digit)) dup.add(i);
    seen.add(r.digit);
  });
  return dup;
}

/** The options as the API takes them, in the rows' order; rows without a destination are
 * the form's to report before sending. */
export function optionsBody(rows: OptionRow[]): IvrOption[] {
  return rows.flatMap((r) => (r.destination ? [{ digit: r.digit, destination: r.destination }] : []));
}

type Key = "options" | "option" | "key" | "goesTo" | "duplicate" | "addOption" | "remove" | "noOptions";
const S: Strings<Key> = {
  en: {
    options: "Options",
    option: "Option {n}",
    key: "Key",
    goesTo: "Goes to",
    duplicate: "Key {digit} is already used by another option.",
    addOption: "Add option",
    remove: "Remove",
    noOptions: "No options yet: callers can only dial a number directly, if allowed.",
  },
  es: {
    options: "Opciones",
    option: "Opción {n}",
    key: "Tecla",
    goesTo: "Va a",
    duplicate: "La tecla {digit} ya la usa otra opción.",
    addOption: "Añadir opción",
    remove: "Quitar",
    noOptions: "Aún no hay opciones: quien llama solo puede marcar un número directamente, si se permite.",
  },
};

interface Props {
  tenant: string;
  rows: OptionRow[];
  onChange: (rows: OptionRow[]) => void;
  /** Field errors by input name (`options`, `options.0.digit`, `options.0.destination` …). */
  errors: Record<string, string>;
  /** Stand-in for the API in tests. */
  load?: (tenant: string, kind: ObjectKind) => Promise<Choice[]>;
}

export function IvrOptionsEditor({ tenant, rows, onChange, errors, load }: Props) {
  const s = useStrings(S);
  const dup = duplicateRows(rows);
  const set = (key: number, change: Partial<OptionRow>) => onChange(rows.map((r) => (r.key === key ? { ...r, ...change } : r)));
  return (
    <fieldset class="cf-rows" aria-describedby={errors.options ? "f-options-error" : undefined}>
      <legend>{s("options")}</legend>
      {rows.length === 0 && <p class="hint">{s("noOptions")}</p>}
      {rows.map((row, i) => {
        const name = `options.${i}`;
        const label = fill(s("option"), { n: String(i + 1) });
        const id = `f-${name}.digit`;
        // The API's word wins; the local check covers the time before saving.
        const digitError = errors[`${name}.digit`] ?? (dup.has(i) ? fill(s("duplicate"), { digit: row.digit }) : undefined);
        return (
          <fieldset class="cf-row" key={row.key}>
            <legend>{label}</legend>
            <div class="field">
              <label for={id}>{s("key")}</label>
              <select
                id={id}
                class="cf-digit"
                value={row.digit}
                aria-invalid={digitError ? "true" : undefined}
                aria-describedby={digitError ? `${id}-error` : undefined}
                onChange={(e) => set(row.key, { digit: e.currentTarget.value })}
              >
                {DIGITS.map((d) => (
                  <option value={d}>{d}</option>
                ))}
              </select>
              {digitError && (
                <small id={`${id}-error`} class="field-error">
                  {digitError}
                </small>
              )}
            </div>
            <DestinationPicker
              name={`${name}.destination`}
              label={s("goesTo")}
              tenant={tenant}
              value={row.destination}
              onChange={(destination) => set(row.key, { destination })}
              error={errors[`${name}.destination`]}
              load={load}
            />
            <button type="button" class="secondary" onClick={() => onChange(rows.filter((r) => r.key !== row.key))}>
              {s("remove")} <span class="sr-only">{label}</span>
            </button>
          </fieldset>
        );
      })}
      {errors.options && (
        <small id="f-options-error" class="field-error">
          {errors.options}
        </small>
      )}
      <p>
        <button type="button" class="secondary" disabled={rows.length >= DIGITS.length} onClick={() => onChange([...rows, newOptionRow(rows)])}>
          {s("addOption")}
        </button>
      </p>
    </fieldset>
  );
}
