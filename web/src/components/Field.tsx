// A labelled input with its error from the API (`aria-invalid`, `aria-describedby`), so a
// problem+json field error is read out with the field it is about.

import type { JSX } from "preact";

interface Props extends Omit<JSX.InputHTMLAttributes<HTMLInputElement>, "label"> {
  name: string;
  label: string;
  error?: string;
  hint?: string;
}

export function Field({ name, label, error, hint, ...input }: Props) {
  const id = `f-${name}`;
  const described = [hint && `${id}-hint`, error && `${id}-error`].filter(Boolean).join(" ") || undefined;
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <input id={id} name={name} aria-invalid={error ? "true" : undefined} aria-describedby={described} {...input} />
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
