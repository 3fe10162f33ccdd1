// An IVR menu's recorded greeting: the player and the upload. Both go through `authFetch`
// (the bearer token in a header, never in a URL): the download becomes a `blob:` URL the
// page's CSP lets `<audio>` play, and the upload sends the file's bytes as they are, with
// its audio media type, which openapi-fetch's JSON-minded body handling would not.

import { useEffect, useState } from "preact/hooks";
import { ifMatch, type Schemas } from "../../api/client";
import { showProblem, type ShownProblem } from "../../api/problem";
import { authFetch } from "../../api/session";
import { useStrings, type Strings } from "../../i18n";

type Menu = Schemas["IvrMenuView"];

/** Absolute, as `Request` outside a browser (tests) insists on. */
const greetingUrl = (tenant: string, menu: string) =>
  new URL(`/v1/tenants/${encodeURIComponent(tenant)}/ivr-menus/${encodeURIComponent(menu)}/greeting`, location.href);

type Key = "player" | "loadFailed" | "file" | "fileLabel" | "fileHint" | "upload" | "uploading" | "uploaded" | "chooseFile";
const S: Strings<Key> = {
  en: {
    player: "Greeting recording",
    loadFailed: "The recording could not be loaded:",
    file: "Upload a recording",
    fileLabel: "Audio file",
    fileHint: "WAV, MP3 or Ogg, at most 8 MB. It replaces the spoken text or the current recording.",
    upload: "Upload",
    uploading: "Uploading…",
    uploaded: "Recording uploaded",
    chooseFile: "Choose an audio file first.",
  },
  es: {
    player: "Grabación del saludo",
    loadFailed: "No se pudo cargar la grabación:",
    file: "Subir una grabación",
    fileLabel: "Archivo de audio",
    fileHint: "WAV, MP3 u Ogg, hasta 8 MB. Sustituye al texto hablado o a la grabación actual.",
    upload: "Subir",
    uploading: "Subiendo…",
    uploaded: "Grabación subida",
    chooseFile: "Elige antes un archivo de audio.",
  },
};

/** Plays the menu's recording; `sha256` changes with each upload, which reloads it. */
export function GreetingPlayer({ tenant, menu, sha256 }: { tenant: string; menu: string; sha256: string }) {
  const s = useStrings(S);
  const [src, setSrc] = useState<string | null>(null);
  const [failed, setFailed] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    let url: string | null = null;
    setSrc(null);
    setFailed(null);
    (async () => {
      const res = await authFetch(new Request(greetingUrl(tenant, menu)));
      if (!res.ok) throw new Error(showProblem(await res.json().catch(() => null)).summary);
      const blob = await res.blob();
      if (!live) return;
      url = URL.createObjectURL(blob);
      setSrc(url);
    })().catch((e: unknown) => live && setFailed(e instanceof Error ? e.message : String(e)));
    // The blob stays in memory until revoked: free it when the recording changes or the page goes.
    return () => {
      live = false;
      if (url) URL.revokeObjectURL(url);
    };
  }, [tenant, menu, sha256]);

  if (failed)
    return (
      <p role="alert" class="error">
        {s("loadFailed")} {failed}
      </p>
    );
  if (!src) return <p aria-busy="true">…</p>;
  return <audio controls preload="metadata" src={src} aria-label={s("player")} />;
}

/** The media type to declare for a file: the browser's guess, or one from the extension
 * (some systems give `.wav` files no type at all). */
export function audioType(file: { name: string; type: string }): string {
  if (file.type) return file.type;
  const ext = file.name.toLowerCase().split(".").pop();
  if (ext === "wav") return "audio/wav";
  if (ext === "mp3") return "audio/mpeg";
  if (ext === "ogg" || ext === "oga" || ext === "opus") return "audio/ogg";
  return "application/octet-stream";
}

/** Uploads a recording with `PUT …/greeting` (If-Match the menu's version). */
export function GreetingUpload({ tenant, menu, onUploaded }: { tenant: string; menu: Menu; onUploaded: (m: Menu) => void }) {
  const s = useStrings(S);
  const [problem, setProblem] = useState<ShownProblem | null>(null);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState(false);

  const upload = async (e: Event) => {
    e.preventDefault();
    const formEl = e.currentTarget as HTMLFormElement;
    const file = (formEl.elements.namedItem("greeting-file") as HTMLInputElement | null)?.files?.[0];
    setDone(false);
    if (!file) {
      setProblem({ summary: s("chooseFile"), fields: {}, status: 0, code: "required" });
      return;
    }
    setBusy(true);
    try {
      const res = await authFetch(
        new Request(greetingUrl(tenant, menu.id), {
          method: "PUT",
          headers: { "content-type": audioType(file), ...ifMatch(menu.version) },
          // The bytes themselves, read first: a body every fetch implementation sends as is.
          body: await file.arrayBuffer(),
        }),
      );
      const body: unknown = await res.json().catch(() => null);
      if (res.ok) {
        setProblem(null);
        setDone(true);
        formEl.reset();
        onUploaded(body as Menu);
      } else setProblem(showProblem(body ?? { status: res.status, title: res.statusText }, ["body"]));
    } catch (err) {
      setProblem(showProblem({ title: String(err) }));
    } finally {
      setBusy(false);
    }
  };

  const id = "f-greeting-file";
  const error = problem?.fields.body;
  return (
    <form class="inline" onSubmit={upload} aria-label={s("file")}>
      {problem && (
        <p role="alert" class="error">
          {problem.summary}
        </p>
      )}
      <div class="field">
        <label for={id}>{s("fileLabel")}</label>
        <input
          id={id}
          name="greeting-file"
          type="file"
          accept="audio/wav,audio/x-wav,audio/mpeg,audio/ogg,.wav,.mp3,.ogg"
          aria-invalid={error ? "true" : undefined}
          aria-describedby={`${id}-hint${error ? ` ${id}-error` : ""}`}
        />
        <small id={`${id}-hint`} class="hint">
          {s("fileHint")}
        </small>
        {error && (
          <small id={`${id}-error`} class="field-error">
            {error}
          </small>
        )}
      </div>
      <button type="submit" disabled={busy}>
        {busy ? s("uploading") : s("upload")}
      </button>
      {done && <span role="status"> {s("uploaded")}</span>}
    </form>
  );
}
