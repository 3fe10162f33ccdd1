// Creating and editing an IVR menu (one form for both), its recorded greeting (player and
// upload), and deleting it after a confirmation.

import { useContext, useEffect, useState } from "preact/hooks";
import { useLocation } from "preact-iso";
import { api, ifMatch, type Schemas } from "../../api/client";
import { showProblem, type ShownProblem } from "../../api/problem";
import { ObjectPage } from "../../components/callflow/ObjectPage";
import { intOrUndefined, rowInputs, unfinished } from "../../components/callflow/destinations";
import { GreetingPlayer, GreetingUpload } from "../../components/callflow/Greeting";
import { IvrOptionsEditor, OPTION_FIELDS, newOptionRow, optionRows, optionsBody, type OptionRow } from "../../components/callflow/IvrOptionsEditor";
import { Select } from "../../components/callflow/Select";
import { FLOW, fill } from "../../components/callflow/strings";
import { DestinationPicker, type Destination } from "../../components/DestinationPicker";
import { Field } from "../../components/Field";
import { Show, useLoad } from "../../components/load";
import { LocaleContext, useStrings, useT } from "../../i18n";
import { IVR, LANGUAGES } from "./ivrStrings";

type Menu = Schemas["IvrMenuView"];

export function NewIvrMenu({ tenant }: { tenant: string }) {
  const s = useStrings(IVR);
  const { route } = useLocation();
  return (
    <section>
      <h1>{s("newMenu")}</h1>
      <p class="hint">{s("uploadAfterCreate")}</p>
      <IvrMenuForm tenant={tenant} onSaved={(m) => route(`/ivr-menus/${m.id}`)} />
    </section>
  );
}

export function IvrMenuPage({ tenant, id }: { tenant: string; id: string }) {
  const [menu, reload] = useLoad(
    () => api.GET("/v1/tenants/{tenant_id}/ivr-menus/{ivr_menu_id}", { params: { path: { tenant_id: tenant, ivr_menu_id: id } } }),
    [tenant, id],
  );
  return <Show value={menu}>{(m) => <MenuPage tenant={tenant} menu={m} reload={reload} />}</Show>;
}

function MenuPage({ tenant, menu, reload }: { tenant: string; menu: Menu; reload: () => void }) {
  const s = useStrings(IVR);
  const { locale } = useContext(LocaleContext);
  const title = `${menu.number} · ${menu.name}`;
  const g = menu.greeting;

  return (
    <ObjectPage
      base="/ivr-menus"
      title={title}
      deleteQuestion={fill(s("deleteQuestion"), { name: title })}
      remove={() =>
        api.DELETE("/v1/tenants/{tenant_id}/ivr-menus/{ivr_menu_id}", {
          params: { path: { tenant_id: tenant, ivr_menu_id: menu.id }, header: ifMatch(menu.version) },
        })
      }
    >
      <section class="card cf-greeting" aria-labelledby="greeting-heading">
        <h2 id="greeting-heading">{s("greeting")}</h2>
        {g.type === "recording" ? (
          <>
            <p>
              {s("recording")}:{" "}
              {fill(s("recordingInfo"), {
                type: g.content_type,
                size: (g.size_bytes / 1024).toFixed(1),
                when: new Date(g.uploaded_at).toLocaleString(locale),
              })}
            </p>
            <GreetingPlayer tenant={tenant} menu={menu.id} sha256={g.sha256} />
          </>
        ) : (
          <p>
            {s("spoken")}: <q>{g.text}</q>
          </p>
        )}
        <GreetingUpload tenant={tenant} menu={menu} onUploaded={reload} />
      </section>
      <IvrMenuForm tenant={tenant} menu={menu} onSaved={reload} />
    </ObjectPage>
  );
}

const textOf = (m?: Menu) => (m?.greeting.type === "text" ? m.greeting.text : "");
const languageOf = (m: Menu | undefined, fallback: string) => (m?.greeting.type === "text" ? (m.greeting.language ?? fallback) : fallback);

function IvrMenuForm({ tenant, menu, onSaved }: { tenant: string; menu?: Menu; onSaved: (m: Menu) => void }) {
  const t = useT();
  const s = useStrings(IVR);
  const f = useStrings(FLOW);
  const { locale } = useContext(LocaleContext);
  const [number, setNumber] = useState(menu?.number ?? "");
  const [name, setName] = useState(menu?.name ?? "");
  const [text, setText] = useState(textOf(menu));
  const [language, setLanguage] = useState(languageOf(menu, locale));
  const [options, setOptions] = useState<OptionRow[]>(() => (menu ? optionRows(menu.options) : [newOptionRow([])]));
  const [timeout, setTimeoutSeconds] = useState(String(menu?.timeout_seconds ?? 5));
  const [retries, setRetries] = useState(String(menu?.invalid_retries ?? 2));
  const [directDial, setDirectDial] = useState(menu?.direct_dial ?? false);
  const [onTimeout, setOnTimeout] = useState<Destination | null>(menu?.timeout_destination ?? { type: "hangup" });
  const [onInvalid, setOnInvalid] = useState<Destination | null>(menu?.invalid_destination ?? { type: "hangup" });
  const [problem, setProblem] = useState<ShownProblem | null>(null);
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);
  useEffect(() => setSaved(false), [number, name, text, language, options, timeout, retries, directDial, onTimeout, onInvalid]);

  // An upload elsewhere on the page changes the greeting: start the text from the new one,
  // or a later save would send the stale text and replace the fresh recording.
  const recording = menu?.greeting.type === "recording";
  const greetingKey = menu?.greeting.type === "recording" ? menu.greeting.sha256 : `${textOf(menu)}\n${languageOf(menu, "")}`;
  useEffect(() => {
    setText(textOf(menu));
    setLanguage(languageOf(menu, locale));
  }, [greetingKey]);

  const submit = async (e: Event) => {
    e.preventDefault();
    const local: Record<string, string> = {};
    options.forEach((o, i) => unfinished(o.destination) && (local[`options.${i}.destination`] = f("chooseDestination")));
    if (unfinished(onTimeout)) local.timeout_destination = f("chooseDestination");
    if (unfinished(onInvalid)) local.invalid_destination = f("chooseDestination");
    if (Object.keys(local).length || !onTimeout || !onInvalid) {
      setProblem({ summary: f("fixBelow"), fields: local, status: 0, code: "local" });
      return;
    }
    const greeting = { type: "text" as const, text: text.trim(), language };
    // On an edit the greeting is sent only when changed, and an empty text never replaces
    // a recording: it means "keep the recording".
    const greetingChanged = !menu || text !== textOf(menu) || language !== languageOf(menu, locale);
    const sendGreeting = greetingChanged && !(recording && text.trim() === "");
    const common = {
      number: number.trim(),
      name: name.trim(),
      options: optionsBody(options),
      timeout_seconds: intOrUndefined(timeout),
      invalid_retries: intOrUndefined(retries),
      direct_dial: directDial,
      timeout_destination: onTimeout,
      invalid_destination: onInvalid,
    };
    setBusy(true);
    const { data, error } = menu
      ? await api.PATCH("/v1/tenants/{tenant_id}/ivr-menus/{ivr_menu_id}", {
          params: { path: { tenant_id: tenant, ivr_menu_id: menu.id }, header: ifMatch(menu.version) },
          body: sendGreeting ? { ...common, greeting } : common,
        })
      : await api.POST("/v1/tenants/{tenant_id}/ivr-menus", { params: { path: { tenant_id: tenant } }, body: { ...common, greeting } });
    setBusy(false);
    if (data) {
      setProblem(null);
      setSaved(true);
      onSaved(data);
    } else
      setProblem(
        showProblem(error, [
          "number",
          "name",
          "greeting.text",
          "greeting.language",
          ...rowInputs("options", options.length, OPTION_FIELDS),
          "timeout_seconds",
          "invalid_retries",
          "direct_dial",
          "timeout_destination",
          "invalid_destination",
        ]),
      );
  };

  const fields = problem?.fields ?? {};
  const textId = "f-greeting.text";
  const textError = fields["greeting.text"];
  return (
    <form onSubmit={submit} aria-label={menu ? t("edit") : s("newMenu")} noValidate>
      {problem && (
        <p role="alert" class="error">
          {problem.summary}
        </p>
      )}
      <Field name="number" label={t("number")} required inputMode="numeric" value={number} onInput={(e) => setNumber(e.currentTarget.value)} error={fields.number} />
      <Field name="name" label={t("name")} required value={name} onInput={(e) => setName(e.currentTarget.value)} error={fields.name} />
      <div class="field">
        <label for={textId}>{s("greetingText")}</label>
        <textarea
          id={textId}
          class="cf-text"
          rows={3}
          maxLength={1000}
          value={text}
          onInput={(e) => setText(e.currentTarget.value)}
          aria-invalid={textError ? "true" : undefined}
          aria-describedby={`${textId}-hint${textError ? ` ${textId}-error` : ""}`}
        />
        <small id={`${textId}-hint`} class="hint">
          {recording ? s("greetingReplaces") : s("greetingTextHint")}
        </small>
        {textError && (
          <small id={`${textId}-error`} class="field-error">
            {textError}
          </small>
        )}
      </div>
      <Select
        name="greeting.language"
        label={s("language")}
        value={language}
        options={LANGUAGES}
        onChange={(e) => setLanguage(e.currentTarget.value)}
        error={fields["greeting.language"]}
      />
      <IvrOptionsEditor tenant={tenant} rows={options} onChange={setOptions} errors={fields} />
      <Field
        name="timeout_seconds"
        label={s("timeoutSeconds")}
        hint={s("timeoutHint")}
        type="number"
        min={1}
        max={60}
        inputMode="numeric"
        value={timeout}
        onInput={(e) => setTimeoutSeconds(e.currentTarget.value)}
        error={fields.timeout_seconds}
      />
      <Field
        name="invalid_retries"
        label={s("retries")}
        hint={s("retriesHint")}
        type="number"
        min={0}
        max={9}
        inputMode="numeric"
        value={retries}
        onInput={(e) => setRetries(e.currentTarget.value)}
        error={fields.invalid_retries}
      />
      <div class="field check">
        <input id="f-direct_dial" type="checkbox" checked={directDial} onChange={(e) => setDirectDial(e.currentTarget.checked)} />
        <label for="f-direct_dial">{s("directDial")}</label>
      </div>
      <DestinationPicker name="timeout_destination" label={s("timeoutDestination")} tenant={tenant} value={onTimeout} onChange={setOnTimeout} error={fields.timeout_destination} />
      <DestinationPicker name="invalid_destination" label={s("invalidDestination")} tenant={tenant} value={onInvalid} onChange={setOnInvalid} error={fields.invalid_destination} />
      <button type="submit" disabled={busy}>
        {menu ? t("save") : t("create")}
      </button>
      {saved && menu && <span role="status"> {t("saved")}</span>}
    </form>
  );
}
