// What the rate-deck pages work out by themselves, kept apart from the components so it is
// tested alone: where an import stands and how far it got, how often to ask again, the
// export's file name, and reading the first rows of an exported CSV (cells kept as the
// exact strings the API wrote: rates are never turned into numbers).

import type { Schemas } from "../../api/client";

/** Where the pages live: the list, and `${BASE}/:id` for a deck. */
export const BASE = "/rate-decks";

type Import = Schemas["RateImportView"];
export type ImportStatus = Schemas["ImportStatus"];

/** An import that will not change any more: stop polling it. */
export const isFinished = (status: ImportStatus) => status === "succeeded" || status === "rejected" || status === "failed";

/** What the page says about an import: its status, with a success told apart by what it did. */
export type Phase = "receiving" | "queued" | "running" | "valid" | "made" | "madeActive" | "rejected" | "failed";

export function importPhase(view: Pick<Import, "status" | "dry_run" | "activate" | "version">): Phase {
  switch (view.status) {
    case "succeeded":
      // A dry run makes no version; a real one names the version it made.
      if (view.dry_run || view.version == null) return "valid";
      return view.activate ? "madeActive" : "made";
    default:
      return view.status;
  }
}

export interface Progress {
  done: number;
  /** Unknown while the job has not said (the bar is then indeterminate). */
  total: number | null;
  /** Whole percent, 0-100; null when the total is unknown. */
  percent: number | null;
}

/** How far the job read the file, as it last reported (bytes: `done` of `total`, which falls
 * back to the file's size); a finished import has read it all. */
export function importProgress(view: Pick<Import, "status" | "progress" | "size_bytes">): Progress {
  const size = view.size_bytes > 0 ? view.size_bytes : null;
  const total = view.progress?.total ?? size;
  if (isFinished(view.status)) return { done: total ?? 0, total, percent: 100 };
  // Not started yet: nothing to measure, the bar is indeterminate.
  if (!view.progress) return { done: 0, total, percent: null };
  const done = Math.max(0, view.progress.done);
  const percent = total !== null && total > 0 ? Math.min(100, Math.floor((done * 100) / total)) : null;
  return { done, total, percent };
}

/** Wait before the next poll: quick at first (small files end in a moment), then every 2 s. */
export function pollDelay(attempt: number): number {
  return Math.min(2000, 250 * 2 ** Math.max(0, attempt));
}

/** A byte count for people: `512 B`, `1.5 kB`, `3.2 MB` (decimal units, one decimal). */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ["kB", "MB", "GB"];
  let value = n / 1000;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

/** Fills `{name}` placeholders of a translated sentence. */
export function fill(template: string, values: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (whole, key: string) => (key in values ? String(values[key]) : whole));
}

/** `Retail Spain` version 3 → `retail-spain-v3.csv` (a name any file system takes). */
export function exportFileName(deckName: string, version: number): string {
  const slug = deckName
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 60);
  return `${slug || "rate-deck"}-v${version}.csv`;
}

/** The import's URL with its options (`dry_run`, `activate`) as the API spells them. */
export function importPath(tenant: string, deck: string, options: { dryRun: boolean; activate: boolean }): string {
  const query = new URLSearchParams();
  if (options.dryRun) query.set("dry_run", "true");
  if (options.activate) query.set("activate", "true");
  const q = query.toString();
  return `/v1/tenants/${encodeURIComponent(tenant)}/rate-decks/${encodeURIComponent(deck)}/imports${q ? `?${q}` : ""}`;
}

/** The export's URL of one version. */
export function exportPath(tenant: string, deck: string, version: number): string {
  return `/v1/tenants/${encodeURIComponent(tenant)}/rate-decks/${encodeURIComponent(deck)}/versions/${version}/export`;
}

/**
 * CSV text to records (RFC 4180: quoted cells with commas, doubled quotes and line breaks;
 * CRLF or LF). With `truncated`, the text was cut off mid-file and its last record may be
 * partial, so it is dropped.
 */
export function parseCsv(text: string, truncated = false): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          cell += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else cell += c;
      i += 1;
      continue;
    }
    if (c === '"') quoted = true;
    else if (c === ",") {
      row.push(cell);
      cell = "";
    } else if (c === "\n" || c === "\r") {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = "";
      if (c === "\r" && text[i + 1] === "\n") i += 1;
    } else cell += c;
    i += 1;
  }
  const pending = cell !== "" || row.length > 0;
  if (pending && !truncated) {
    row.push(cell);
    rows.push(row);
  }
  return rows;
}

/** The exported rates of one version as header-named records. */
export interface RatePreview {
  columns: string[];
  rows: Record<string, string>[];
  /** More rates follow the ones read. */
  more: boolean;
}

/** The first `limit` rates of an export whose text was read up to `text` (`complete` when
 * the whole file was read). */
export function previewRates(text: string, complete: boolean, limit: number): RatePreview {
  const records = parseCsv(text, !complete);
  const [header = [], ...body] = records;
  const columns = header.map((h) => h.trim());
  const rows = body
    .filter((r) => r.some((cell) => cell !== ""))
    .slice(0, limit)
    .map((r) => Object.fromEntries(columns.map((c, i) => [c, r[i] ?? ""])));
  return { columns, rows, more: !complete || body.length > limit };
}

/**
 * The start of a streamed CSV answer: read until `lines` line breaks have arrived (or the
 * end), then stop the download, so a preview of a million-rate version costs a few kB.
 */
export async function readHead(res: Response, lines: number): Promise<{ text: string; complete: boolean }> {
  const reader = res.body?.getReader();
  if (!reader) return { text: await res.text(), complete: true };
  const decoder = new TextDecoder();
  let text = "";
  let seen = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return { text: text + decoder.decode(), complete: true };
    const chunk = decoder.decode(value, { stream: true });
    text += chunk;
    for (const c of chunk) if (c === "\n") seen += 1;
    if (seen > lines) {
      await reader.cancel();
      return { text, complete: false };
    }
  }
}
