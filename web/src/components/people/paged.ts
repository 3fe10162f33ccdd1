// A list the API serves in cursor pages: the first page loads when `deps` change (a new
// filter starts over), "More" appends the next one, and changes made on the page (a message
// marked read, one deleted) edit the loaded items in place instead of reloading them all.

import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { showProblem } from "../../api/problem";
import type { Loaded } from "../load";

interface Page<T> {
  items: T[];
  next_cursor?: string | null;
}

interface Answer<T> {
  data?: Page<T>;
  error?: unknown;
  response: Response;
}

export interface Paged<T> {
  /** The loaded items (`missing` on a 404: the list's owner is not there). */
  list: Loaded<T[]>;
  /** Loads the next page; `null` on the last page. */
  more: (() => void) | null;
  loadingMore: boolean;
  /** Why the last "More" failed, if it did. */
  moreError: string | null;
  /** Edits the loaded items (after a change the API confirmed). */
  update: (change: (items: T[]) => T[]) => void;
  reload: () => void;
}

/**
 * `inputs`: the form inputs that show field errors themselves (a list's filters), so the
 * message of a refused first page does not repeat them.
 */
export function usePaged<T>(
  load: (cursor: string | undefined) => Promise<Answer<T>>,
  deps: unknown[],
  inputs: readonly string[] = [],
): Paged<T> {
  const [list, setList] = useState<Loaded<T[]>>({ state: "loading" });
  const [next, setNext] = useState<string | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const [moreError, setMoreError] = useState<string | null>(null);
  const [tick, setTick] = useState(0);
  // Answers of an older query (the filters changed meanwhile) are dropped.
  const generation = useRef(0);

  useEffect(() => {
    const mine = ++generation.current;
    setList({ state: "loading" });
    setNext(null);
    setMoreError(null);
    load(undefined).then(
      ({ data, error, response }) => {
        if (mine !== generation.current) return;
        if (data) {
          setList({ state: "ok", data: data.items });
          setNext(data.next_cursor ?? null);
        } else if (response.status === 404) setList({ state: "missing" });
        else setList({ state: "error", message: showProblem(error, inputs).summary });
      },
      (err: unknown) => mine === generation.current && setList({ state: "error", message: String(err) }),
    );
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick]);

  const loadMore = async () => {
    if (!next) return;
    const mine = generation.current;
    setLoadingMore(true);
    setMoreError(null);
    try {
      const { data, error } = await load(next);
      if (mine !== generation.current) return;
      if (data) {
        setList((l) => (l.state === "ok" ? { state: "ok", data: [...l.data, ...data.items] } : l));
        setNext(data.next_cursor ?? null);
      } else setMoreError(showProblem(error).summary);
    } catch (err) {
      if (mine === generation.current) setMoreError(String(err));
    } finally {
      if (mine === generation.current) setLoadingMore(false);
    }
  };

  const update = useCallback((change: (items: T[]) => T[]) => {
    setList((l) => (l.state === "ok" ? { state: "ok", data: change(l.data) } : l));
  }, []);
  const reload = useCallback(() => setTick((t) => t + 1), []);

  return { list, more: next ? () => void loadMore() : null, loadingMore, moreError, update, reload };
}
