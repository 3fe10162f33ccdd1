// Small helpers around `Destination` values shared by the call-flow forms.

import type { Destination } from "../DestinationPicker";

/** A destination the user has not finished choosing: no kind yet, a kind without its
 * object, or an outside number left empty. The forms catch these before calling the API,
 * with a message that says what to do rather than a parse error about an empty id. */
export function unfinished(d: Destination | null | undefined): boolean {
  if (!d) return true;
  switch (d.type) {
    case "hangup":
      return false;
    case "external_number":
      return d.number.trim() === "";
    default:
      return d.id === "";
  }
}

/** Stable keys for editable rows, so removing a row keeps the state of the others. */
let lastKey = 0;
export const rowKey = (): number => ++lastKey;

/** Input names of a form, with `count` numbered rows under `prefix` (`members.0.target` …),
 * for `showProblem` to put each API field error under its input. */
export function rowInputs(prefix: string, count: number, fields: readonly string[]): string[] {
  const names = [prefix];
  for (let i = 0; i < count; i++) for (const f of fields) names.push(`${prefix}.${i}.${f}`);
  return names;
}

/** A number input's value for the API: blank (which is also what a browser reports for
 * text that is not a number) means "the default", `undefined`. Out-of-range values are sent
 * as typed, for the API to say which range applies. */
export function intOrUndefined(raw: string): number | undefined {
  const t = raw.trim();
  const n = Number(t);
  return t === "" || !Number.isFinite(n) ? undefined : n;
}
