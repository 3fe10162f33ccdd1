// A labelled `<select>` with its API error, the counterpart of `Field` for a fixed list.

import type { JSX } from "preact";

interface Props extends Omit<JSX.SelectHTMLAttributes<HTMLSelectElement>, "label"> {
  name: string;
  label: string;
  options: readonly { value: string; label: string }[];
  error?: string;
  hint?: string;
}

export function Select({ name, label, options, error, hint, ...select }: Props) {
  const id = `f-${name}`;
  const described = [hint && `${id}-hint`, error && `${id}-error`].filter(Boolean).join(" ") || undefined;
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <select id={id} name={name} class="cf-select" aria-invalid={error ? "true" : undefined} aria-describedby={described} {...select}>
        {options.map((o) => (
          <option value={o.value}>{o.label}</option>
        ))}
      </select>
      {hint && (
        <small id={`${id}-hint`} class="hint">
          {hint}
        </small>
      )}
      {error && (
        <small id={`${id}-error`} class="field-error">
          {error}
        </small>
      )}
    </div>
  );
}
