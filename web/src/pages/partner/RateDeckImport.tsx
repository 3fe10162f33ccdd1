// Uploading a CSV of rates into a deck (`POST …/rate-decks/{id}/imports`): the file is sent
// as it is, the API answers at once with the queued import, and a job checks it. The page
// polls the import until it ends, showing its progress, then what it made or every bad line
// with its number and reason (pages of 100, "show more" for the next).

import { useEffect, useRef, useState } from "preact/hooks";
import { api, type Schemas } from "../../api/client";
import { showProblem } from "../../api/problem";
import { authFetch } from "../../api/session";
import { TableWrap } from "../../components/people/ui";
import { useStrings } from "../../i18n";
import { fill, formatBytes, importPath, importPhase, importProgress, isFinished, pollDelay } from "./rateDeckModel";
import { DECK_STRINGS } from "./rateDeckStrings";

type Import = Schemas["RateImportView"];
type BadLine = Schemas["ImportErrorView"];

interface Props {
  tenant: string;
  deck: string;
  /** An import still running when the page opened (a version being imported): followed. */
  resume: string | null;
  /** An import ended (the deck's versions and active version may have changed). */
  onFinished: (view: Import) => void;
}

export function RateDeckImport({ tenant, deck, resume, onFinished }: Props) {
  const s = useStrings(DECK_STRINGS);
  const [file, setFile] = useState<File | null>(null);
  const [dryRun, setDryRun] = useState(false);
  const [activate, setActivate] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [view, setView] = useState<Import | null>(null);
  const [badLines, setBadLines] = useState<BadLine[]>([]);
  const [nextAfter, setNextAfter] = useState<number | null>(null);
  // Polls since the import was started, for the back-off; a failed poll retries (tick).
  const attempt = useRef(0);
  const [tick, setTick] = useState(0);
  const finished = useRef(onFinished);
  finished.current = onFinished;

  const path = (importId: string) => ({ params: { path: { tenant_id: tenant, deck_id: deck, import_id: importId } } });

  const receive = (next: Import) => {
    setView(next);
    if (isFinished(next.status)) {
      setBadLines(next.errors);
      setNextAfter(next.next_after_line ?? null);
      finished.current(next);
    }
  };

  useEffect(() => {
    if (!resume || view) return;
    let live = true;
    void api.GET("/v1/tenants/{tenant_id}/rate-decks/{deck_id}/imports/{import_id}", path(resume)).then(({ data }) => {
      if (live && data) receive(data);
    });
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [resume]);

  useEffect(() => {
    if (!view || isFinished(view.status)) return;
    let live = true;
    const timer = setTimeout(async () => {
      const { data, error } = await api.GET("/v1/tenants/{tenant_id}/rate-decks/{deck_id}/imports/{import_id}", path(view.id));
      if (!live) return;
      attempt.current += 1;
      if (data) {
        setError(null);
        receive(data);
      } else {
        // Keep following it: the job goes on whether or not this poll got through.
        setError(showProblem(error).summary);
        setTick((t) => t + 1);
      }
    }, pollDelay(attempt.current));
    return () => {
      live = false;
      clearTimeout(timer);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [view, tick]);

  const upload = async (e: Event) => {
    e.preventDefault();
    if (!file) {
      setError(s("chooseFile"));
      return;
    }
    setBusy(true);
    setError(null);
    setView(null);
    setBadLines([]);
    setNextAfter(null);
    // The bytes as they are, however the browser typed the file (a spreadsheet's CSV is often
    // `application/vnd.ms-excel`): the API wants text/csv and checks the text is UTF-8.
    const res = await authFetch(
      new Request(new URL(importPath(tenant, deck, { dryRun, activate }), location.origin), {
        method: "POST",
        headers: { "content-type": "text/csv" },
        body: file,
      }),
    );
    const body: unknown = await res.json().catch(() => ({ status: res.status, title: res.statusText }));
    setBusy(false);
    if (res.ok && body && typeof body === "object" && "status" in body && "id" in body) {
      attempt.current = 0;
      receive(body as Import);
    } else setError(showProblem(body).summary);
  };

  const more = async () => {
    if (!view || nextAfter === null) return;
    const { data, error } = await api.GET("/v1/tenants/{tenant_id}/rate-decks/{deck_id}/imports/{import_id}", {
      params: { ...path(view.id).params, query: { after_line: nextAfter } },
    });
    if (data) {
      setBadLines((lines) => [...lines, ...data.errors]);
      setNextAfter(data.next_after_line ?? null);
    } else setError(showProblem(error).summary);
  };

  const running = view !== null && !isFinished(view.status);
  return (
    <section aria-labelledby="deck-import">
      <h2 id="deck-import">{s("importTitle")}</h2>
      <form class="inline" onSubmit={upload} aria-labelledby="deck-import">
        {error && (
          <p role="alert" class="error">
            {error}
          </p>
        )}
        <div class="field">
          <label for="f-rates-file">{s("file")}</label>
          <input
            id="f-rates-file"
            type="file"
            accept=".csv,text/csv"
            aria-describedby="f-rates-file-hint"
            onChange={(e) => setFile(e.currentTarget.files?.[0] ?? null)}
          />
          <small id="f-rates-file-hint" class="hint">
            {s("importHint")}
          </small>
        </div>
        <div class="field check">
          <input id="f-dry-run" type="checkbox" checked={dryRun} onChange={(e) => setDryRun(e.currentTarget.checked)} />
          <label for="f-dry-run">{s("dryRun")}</label>
        </div>
        <div class="field check">
          <input id="f-activate" type="checkbox" checked={activate} onChange={(e) => setActivate(e.currentTarget.checked)} />
          <label for="f-activate">{s("activateWhenReady")}</label>
        </div>
        <button type="submit" disabled={busy || running}>
          {s("upload")}
        </button>
        {busy && <span role="status"> {s("uploading")}</span>}
      </form>
      {view && <ImportState view={view} badLines={badLines} more={nextAfter !== null ? () => void more() : null} />}
    </section>
  );
}

function ImportState({ view, badLines, more }: { view: Import; badLines: BadLine[]; more: (() => void) | null }) {
  const s = useStrings(DECK_STRINGS);
  const phase = importPhase(view);
  const progress = importProgress(view);
  const text = fill(s(`phase_${phase}`), {
    rows: view.rows,
    bad: view.bad_rows,
    version: view.version ?? "",
    failure: view.failure ?? "",
  });
  const ended = isFinished(view.status);
  const bad = view.status === "rejected" || view.status === "failed";
  return (
    <div class="card" data-testid="rate-import" data-status={view.status}>
      {/* The sentence changes only between phases, so a screen reader hears each once. */}
      <p role={bad ? "alert" : "status"} class={bad ? "error" : undefined}>
        {text}
      </p>
      {!ended && (
        <div class="field">
          <label for="import-progress">
            {progress.percent === null
              ? fill(s("progressUnknown"), { done: formatBytes(progress.done) })
              : fill(s("progress"), { done: formatBytes(progress.done), total: formatBytes(progress.total ?? 0), percent: progress.percent })}
          </label>
          {progress.percent === null ? <progress id="import-progress" /> : <progress id="import-progress" max={100} value={progress.percent} />}
        </div>
      )}
      {badLines.length > 0 && (
        <TableWrap label={s("badLines")}>
          <table data-testid="import-errors">
            <thead>
              <tr>
                <th scope="col" class="sb-num">
                  {s("line")}
                </th>
                <th scope="col">{s("reason")}</th>
              </tr>
            </thead>
            <tbody>
              {badLines.map((e) => (
                <tr data-line={e.line}>
                  <td class="sb-num">{e.line}</td>
                  <td>{e.reason}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
      {more && (
        <p>
          <button type="button" class="sb-secondary" onClick={more}>
            {s("moreErrors")}
          </button>
        </p>
      )}
    </div>
  );
}
