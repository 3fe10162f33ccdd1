// Loading data for a page: one hook that calls the API and tells loading, found, not found
// (a 404 shows the not-found page: another tenant's object is indistinguishable from none)
// and other errors apart.

import type { ComponentChildren } from "preact";
import { useCallback, useEffect, useState } from "preact/hooks";
import { showProblem } from "../api/problem";
import { useT } from "../i18n";
import { NotFound } from "../pages/NotFound";

export type Loaded<T> =
  | { state: "loading" }
  | { state: "ok"; data: T }
  | { state: "missing" }
  | { state: "error"; message: string };

interface Answer<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

export function useLoad<T>(load: () => Promise<Answer<T>>, deps: unknown[]): [Loaded<T>, () => void] {
  const [value, setValue] = useState<Loaded<T>>({ state: "loading" });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    load().then(
      ({ data, error, response }) => {
        if (!live) return;
        if (data !== undefined) setValue({ state: "ok", data });
        else if (response.status === 404) setValue({ state: "missing" });
        else setValue({ state: "error", message: showProblem(error).summary });
      },
      (err: unknown) => live && setValue({ state: "error", message: String(err) }),
    );
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return [value, reload];
}

/** Renders `children(data)` once loaded, or the loading, not-found or error state. */
export function Show<T>({ value, children }: { value: Loaded<T>; children: (data: T) => ComponentChildren }) {
  const t = useT();
  switch (value.state) {
    case "loading":
      return <p aria-busy="true">{t("loading")}</p>;
    case "missing":
      return <NotFound />;
    case "error":
      return (
        <p role="alert" class="error">
          {value.message}
        </p>
      );
    case "ok":
      return <>{children(value.data)}</>;
  }
}
