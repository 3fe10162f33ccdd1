// Importing extensions from CSV: the file is checked first (`?dry_run=true`), every problem
// shown with its line and column, and only a clean file can be imported (all or nothing).
// The created extensions' SIP passwords are shown this once, with a CSV of them to save.

import { useEffect, useMemo, useState } from "preact/hooks";
import type { Schemas } from "../api/client";
import { showProblem } from "../api/problem";
import { authFetch } from "../api/session";
import { useStrings, type Strings } from "../i18n";

type Report = Schemas["ImportReport"];

const S: Strings<
  "title" | "file" | "hint" | "check" | "import" | "valid" | "invalid" | "line" | "column" | "problem" | "created" | "savePasswords" | "number" | "password"
> = {
  en: {
    title: "Import from CSV",
    file: "CSV file",
    hint: "The export's columns; number and display_name are required. All rows are imported, or none.",
    check: "Check file",
    import: "Import",
    valid: "rows are valid and ready to import.",
    invalid: "Nothing was imported. Fix these problems and check again:",
    line: "Line",
    column: "Column",
    problem: "Problem",
    created: "extensions created. Their SIP passwords are shown only now:",
    savePasswords: "Save passwords as CSV",
    number: "Number",
    password: "SIP password",
  },
  es: {
    title: "Importar desde CSV",
    file: "Archivo CSV",
    hint: "Las columnas de la exportación; number y display_name son obligatorias. Se importan todas las filas o ninguna.",
    check: "Comprobar archivo",
    import: "Importar",
    valid: "filas son válidas y están listas para importar.",
    invalid: "No se ha importado nada. Corrija estos problemas y vuelva a comprobar:",
    line: "Línea",
    column: "Columna",
    problem: "Problema",
    created: "extensiones creadas. Sus contraseñas SIP solo se muestran ahora:",
    savePasswords: "Guardar contraseñas en CSV",
    number: "Número",
    password: "Contraseña SIP",
  },
};

/** `rows[3].number` → line 3, column `number`; other fields keep their name. */
export function splitRowField(field: string): { line: number | null; column: string } {
  const m = /^rows\[(\d+)\]\.?(.*)$/.exec(field);
  return m ? { line: Number(m[1]), column: m[2] ?? "" } : { line: null, column: field };
}

function csvCell(v: string): string {
  return /[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/** The created extensions' passwords as a CSV file (a blob: URL; revoke it when done). */
function passwordsCsv(created: Report["created"]): string {
  const lines = ["number,sip_password", ...created.map((c) => [c.number, c.sip_password].map(csvCell).join(","))];
  return URL.createObjectURL(new Blob([lines.join("\r\n") + "\r\n"], { type: "text/csv" }));
}

export function ExtensionImport({ tenant, onImported }: { tenant: string; onImported: () => void }) {
  const s = useStrings(S);
  const [file, setFile] = useState<File | null>(null);
  const [report, setReport] = useState<Report | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const send = async (dryRun: boolean) => {
    if (!file) return;
    setBusy(true);
    setError(null);
    const url = `/v1/tenants/${encodeURIComponent(tenant)}/extensions/import${dryRun ? "?dry_run=true" : ""}`;
    const res = await authFetch(new Request(url, { method: "POST", headers: { "content-type": "text/csv" }, body: await file.arrayBuffer() }));
    // The bytes as they are: the API checks they are UTF-8 (a spreadsheet's Windows-1252
    // export is refused with a clear error rather than read with its accents mangled).
    const body: unknown = await res.json().catch(() => null);
    setBusy(false);
    // A report (valid or not) is the answer to read; anything else is a problem document.
    if (body && typeof body === "object" && "rows" in body && "errors" in body) {
      setReport(body as Report);
      if (!dryRun && (body as Report).valid) onImported();
    } else setError(showProblem(body).summary);
  };

  // The passwords' CSV, as a blob: URL made once per import and revoked when it goes.
  const passwordsUrl = useMemo(
    () => (report && report.valid && !report.dry_run ? passwordsCsv(report.created) : null),
    [report],
  );
  useEffect(() => () => void (passwordsUrl && URL.revokeObjectURL(passwordsUrl)), [passwordsUrl]);

  return (
    <section class="inline" aria-labelledby="import-title">
      <h2 id="import-title">{s("title")}</h2>
      <div class="field">
        <label for="import-file">{s("file")}</label>
        <input
          id="import-file"
          type="file"
          accept=".csv,text/csv"
          aria-describedby="import-hint"
          onChange={(e) => {
            setFile(e.currentTarget.files?.[0] ?? null);
            setReport(null);
          }}
        />
        <small id="import-hint" class="hint">
          {s("hint")}
        </small>
      </div>
      <div class="buttons">
        <button type="button" disabled={!file || busy} onClick={() => void send(true)}>
          {s("check")}
        </button>
        <button type="button" disabled={!file || busy || !report?.dry_run || !report.valid} onClick={() => void send(false)}>
          {s("import")}
        </button>
      </div>
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      {report && report.valid && report.dry_run && (
        <p role="status">
          {report.rows} {s("valid")}
        </p>
      )}
      {report && !report.valid && (
        <div role="alert">
          <p class="error">{s("invalid")}</p>
          <table>
            <thead>
              <tr>
                <th scope="col">{s("line")}</th>
                <th scope="col">{s("column")}</th>
                <th scope="col">{s("problem")}</th>
              </tr>
            </thead>
            <tbody>
              {report.errors.map((e) => {
                const { line, column } = splitRowField(e.field);
                return (
                  <tr data-line={line ?? ""}>
                    <td>{line ?? "—"}</td>
                    <td>{column}</td>
                    <td>{e.message}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {report && report.valid && !report.dry_run && (
        <div class="secret" role="status">
          <p>
            {report.created.length} {s("created")}
          </p>
          <table>
            <thead>
              <tr>
                <th scope="col">{s("number")}</th>
                <th scope="col">{s("password")}</th>
              </tr>
            </thead>
            <tbody>
              {report.created.map((c) => (
                <tr>
                  <td>{c.number}</td>
                  <td>
                    <code>{c.sip_password}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <a href={passwordsUrl ?? undefined} download="sip-passwords.csv">
            {s("savePasswords")}
          </a>
        </div>
      )}
    </section>
  );
}
