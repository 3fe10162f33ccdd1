// Small pieces the people-and-calls pages share: a labelled select with its API error (the
// `Field` twin for choices), a table that scrolls sideways on a phone, and the "More" button
// of a cursor-paged list.

import type { ComponentChildren, JSX } from "preact";
import { usePeople } from "../../pages/people/strings";
import type { Paged } from "./paged";

interface SelectProps extends Omit<JSX.SelectHTMLAttributes<HTMLSelectElement>, "label"> {
  name: string;
  label: string;
  error?: string;
  hint?: string;
  children: ComponentChildren;
}

export function SelectField({ name, label, error, hint, children, ...select }: SelectProps) {
  const id = `f-${name}`;
  const described = [hint && `${id}-hint`, error && `${id}-error`].filter(Boolean).join(" ") || undefined;
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <select id={id} name={name} aria-invalid={error ? "true" : undefined} aria-describedby={described} {...select}>
        {children}
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

/** A wide table in a region that scrolls (and can be scrolled with the keyboard) on a phone. */
export function TableWrap({ label, children }: { label: string; children: ComponentChildren }) {
  return (
    <div class="pc-table" role="region" aria-label={label} tabIndex={0}>
      {children}
    </div>
  );
}

export function MoreButton<T>({ paged }: { paged: Paged<T> }) {
  const s = usePeople();
  return (
    <>
      {paged.moreError && (
        <p role="alert" class="error">
          {paged.moreError}
        </p>
      )}
      {paged.more && (
        <p>
          <button type="button" class="secondary" onClick={paged.more} disabled={paged.loadingMore} aria-busy={paged.loadingMore}>
            {paged.loadingMore ? s("loadingMore") : s("more")}
          </button>
        </p>
      )}
    </>
  );
}
