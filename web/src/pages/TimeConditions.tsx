// Time conditions (office hours): the list, a new one, and one to edit with its weekly
// schedule, holidays, both destinations and "what happens at …". The sub-pages are told
// apart from the location itself, so `/time-conditions`, `/time-conditions/new` and
// `/time-conditions/:id` all render whatever pattern the app's router mounts this under.

import { isUuid } from "../components/subpath";
import { useEffect, useMemo, useState } from "preact/hooks";
import { useLocation } from "preact-iso";
import { api, ifMatch, type Schemas } from "../api/client";
import { showProblem, type ShownProblem } from "../api/problem";
import { DestinationPicker, type Destination } from "../components/DestinationPicker";
import { Field } from "../components/Field";
import { Show, useLoad } from "../components/load";
import { DestinationText, newLabels, type Labels } from "../components/DestinationText";
import { ScheduleEditor } from "../components/schedule/ScheduleEditor";
import { WhatHappensAt } from "../components/schedule/WhatHappensAt";
import { browserTimeZone, editorToSchedule, emptyEditor, scheduleToEditor, validate, type EditorState } from "../components/schedule/model";
import { SCHEDULE_STRINGS, summarize } from "../components/schedule/strings";
import { useStrings, useT, type Strings } from "../i18n";
import { useMe } from "../state";
import { NotFound } from "./NotFound";

type Condition = Schemas["TimeConditionView"];
type Body = Schemas["CreateTimeCondition"];

const INPUTS = ["name", "schedule", "matched_destination", "unmatched_destination"] as const;
const BASE = "/time-conditions";

const S: Strings<
  | "title"
  | "intro"
  | "newCondition"
  | "none"
  | "schedule"
  | "timeZone"
  | "whenOpen"
  | "whenClosed"
  | "matchedLabel"
  | "unmatchedLabel"
  | "fixErrors"
  | "nameMissing"
  | "destinationMissing"
  | "back"
  | "delete"
  | "confirmDelete"
  | "nextPage"
  | "firstPage"
> = {
  en: {
    title: "Time conditions",
    intro: "Send calls one way during opening hours and another way outside them and on holidays.",
    newCondition: "New time condition",
    none: "No time conditions yet.",
    schedule: "Schedule",
    timeZone: "Time zone",
    whenOpen: "When open",
    whenClosed: "When closed",
    matchedLabel: "When the schedule matches (open), calls go to",
    unmatchedLabel: "Otherwise (closed, holidays), calls go to",
    fixErrors: "Some fields need fixing; nothing was saved.",
    nameMissing: "Enter a name.",
    destinationMissing: "Choose where calls go.",
    back: "All time conditions",
    delete: "Delete",
    confirmDelete: "Delete this time condition?",
    nextPage: "Next page",
    firstPage: "First page",
  },
  es: {
    title: "Condiciones horarias",
    intro: "Envíe las llamadas a un sitio en horario de apertura y a otro fuera de él y en festivos.",
    newCondition: "Nueva condición horaria",
    none: "Aún no hay condiciones horarias.",
    schedule: "Horario",
    timeZone: "Zona horaria",
    whenOpen: "Si está abierto",
    whenClosed: "Si está cerrado",
    matchedLabel: "Cuando el horario coincide (abierto), las llamadas van a",
    unmatchedLabel: "Si no (cerrado, festivos), las llamadas van a",
    fixErrors: "Hay campos que corregir; no se ha guardado nada.",
    nameMissing: "Indique un nombre.",
    destinationMissing: "Elija adónde van las llamadas.",
    back: "Todas las condiciones horarias",
    delete: "Eliminar",
    confirmDelete: "¿Eliminar esta condición horaria?",
    nextPage: "Página siguiente",
    firstPage: "Primera página",
  },
};

export function TimeConditions() {
  const me = useMe();
  const { path } = useLocation();
  const tenant = me.tenant_id;
  if (!tenant || !path.startsWith(BASE)) return <NotFound />;
  const rest = path.slice(BASE.length).split("/").filter(Boolean);
  if (rest.length === 0) return <List tenant={tenant} />;
  if (rest.length === 1 && rest[0] === "new") return <Create tenant={tenant} />;
  if (rest.length === 1 && isUuid(rest[0]!)) return <Edit tenant={tenant} id={rest[0]!} />;
  return <NotFound />;
}

function List({ tenant }: { tenant: string }) {
  const s = useStrings(S);
  const t = useT();
  const rs = useStrings(SCHEDULE_STRINGS);
  const [cursor, setCursor] = useState<string | undefined>(undefined);
  const cache: Labels = useMemo(newLabels, []);
  const [list] = useLoad(
    () =>
      api.GET("/v1/tenants/{tenant_id}/time-conditions", {
        params: { path: { tenant_id: tenant }, query: { limit: 50, cursor } },
      }),
    [tenant, cursor],
  );
  return (
    <section>
      <h1>{s("title")}</h1>
      <p>{s("intro")}</p>
      <p>
        <a class="sb-button" href={`${BASE}/new`}>
          {s("newCondition")}
        </a>
      </p>
      <Show value={list}>
        {(page) => (
          <>
            {page.items.length === 0 ? (
              <p>{s("none")}</p>
            ) : (
              <div class="sb-table-scroll">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">{t("name")}</th>
                      <th scope="col">{s("schedule")}</th>
                      <th scope="col">{s("timeZone")}</th>
                      <th scope="col">{s("whenOpen")}</th>
                      <th scope="col">{s("whenClosed")}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {page.items.map((c) => (
                      <tr>
                        <td>
                          <a href={`${BASE}/${c.id}`}>{c.name}</a>
                        </td>
                        <td>{summarize(scheduleToEditor(c.schedule), rs)}</td>
                        <td>{c.schedule.time_zone}</td>
                        <td>
                          <DestinationText tenant={tenant} value={c.matched_destination} labels={cache} />
                        </td>
                        <td>
                          <DestinationText tenant={tenant} value={c.unmatched_destination} labels={cache} />
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
            <p class="sb-pager">
              {cursor && (
                <button type="button" class="sb-secondary" onClick={() => setCursor(undefined)}>
                  {s("firstPage")}
                </button>
              )}{" "}
              {page.next_cursor && (
                <button type="button" class="sb-secondary" onClick={() => setCursor(page.next_cursor ?? undefined)}>
                  {s("nextPage")}
                </button>
              )}
            </p>
          </>
        )}
      </Show>
    </section>
  );
}

function Create({ tenant }: { tenant: string }) {
  const s = useStrings(S);
  const { route } = useLocation();
  const save = async (body: Body) => {
    const { data, error } = await api.POST("/v1/tenants/{tenant_id}/time-conditions", {
      params: { path: { tenant_id: tenant } },
      body,
    });
    if (data) route(`${BASE}/${data.id}`);
    return data ? null : error;
  };
  return (
    <section>
      <p>
        <a href={BASE}>{s("back")}</a>
      </p>
      <h1>{s("newCondition")}</h1>
      <ConditionForm tenant={tenant} initial={null} save={save} />
    </section>
  );
}

function Edit({ tenant, id }: { tenant: string; id: string }) {
  const s = useStrings(S);
  const { route } = useLocation();
  const cache: Labels = useMemo(newLabels, []);
  const [problem, setProblem] = useState<string | null>(null);
  const [condition, reload] = useLoad(
    () =>
      api.GET("/v1/tenants/{tenant_id}/time-conditions/{condition_id}", {
        params: { path: { tenant_id: tenant, condition_id: id } },
      }),
    [tenant, id],
  );
  const path = { tenant_id: tenant, condition_id: id };

  return (
    <Show value={condition}>
      {(c) => {
        const save = async (body: Body) => {
          const { data, error } = await api.PATCH("/v1/tenants/{tenant_id}/time-conditions/{condition_id}", {
            params: { path, header: ifMatch(c.version) },
            body,
          });
          if (data) reload();
          return data ? null : error;
        };
        const remove = async () => {
          if (!window.confirm(s("confirmDelete"))) return;
          const { error, response } = await api.DELETE("/v1/tenants/{tenant_id}/time-conditions/{condition_id}", {
            params: { path, header: ifMatch(c.version) },
          });
          if (response.ok) route(BASE);
          else setProblem(showProblem(error).summary);
        };
        return (
          <section>
            <p>
              <a href={BASE}>{s("back")}</a>
            </p>
            <h1>{c.name}</h1>
            <ConditionForm tenant={tenant} initial={c} save={save} />
            <WhatHappensAt tenant={tenant} condition={c} cache={cache} />
            <p>
              <button type="button" class="danger" onClick={() => void remove()}>
                {s("delete")}
                <span class="sr-only"> {c.name}</span>
              </button>
            </p>
            {problem && (
              <p role="alert" class="error">
                {problem}
              </p>
            )}
          </section>
        );
      }}
    </Show>
  );
}

/** A destination the API can take: an object chosen, or a number typed. */
function complete(d: Destination | null): d is Destination {
  if (!d) return false;
  if ("id" in d) return d.id !== "";
  if (d.type === "external_number") return d.number.trim() !== "";
  return true;
}

/** The form both pages share. `save` answers the API's error, or null once saved. */
function ConditionForm({ tenant, initial, save }: { tenant: string; initial: Condition | null; save: (body: Body) => Promise<unknown> }) {
  const s = useStrings(S);
  const t = useT();
  const [name, setName] = useState(initial?.name ?? "");
  const [schedule, setSchedule] = useState<EditorState>(() =>
    initial ? scheduleToEditor(initial.schedule) : emptyEditor(browserTimeZone()),
  );
  const [matched, setMatched] = useState<Destination | null>(initial?.matched_destination ?? null);
  const [unmatched, setUnmatched] = useState<Destination | null>(initial?.unmatched_destination ?? null);
  const [problem, setProblem] = useState<ShownProblem | null>(null);
  const [submitted, setSubmitted] = useState(false);
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);
  useEffect(() => setSaved(false), [name, schedule, matched, unmatched]);

  /** After a failed save, focus what needs fixing (the first flagged input, else the summary). */
  const focusProblem = (form: HTMLFormElement) =>
    requestAnimationFrame(() =>
      (form.querySelector<HTMLElement>('input[aria-invalid="true"], select[aria-invalid="true"]') ?? form.querySelector<HTMLElement>('[role="alert"]'))?.focus(),
    );

  const submit = async (e: Event) => {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    setSubmitted(true);
    setSaved(false);
    // What the form can tell by itself, in the user's language, before asking the API.
    const fields: Record<string, string> = {};
    if (!name.trim()) fields.name = s("nameMissing");
    if (!complete(matched)) fields.matched_destination = s("destinationMissing");
    if (!complete(unmatched)) fields.unmatched_destination = s("destinationMissing");
    // (`complete` again: it narrows both destinations for the body below.)
    if (!validate(schedule).ok || Object.keys(fields).length || !complete(matched) || !complete(unmatched)) {
      setProblem({ summary: s("fixErrors"), fields, status: 0, code: "form" });
      focusProblem(form);
      return;
    }
    setBusy(true);
    const error = await save({
      name: name.trim(),
      schedule: editorToSchedule(schedule),
      matched_destination: matched,
      unmatched_destination: unmatched,
    });
    setBusy(false);
    if (error) {
      setProblem(showProblem(error, INPUTS));
      focusProblem(form);
    } else {
      setProblem(null);
      setSubmitted(false);
      setSaved(true);
    }
  };

  return (
    <form class="sb-time-condition" onSubmit={submit} noValidate aria-label={initial ? t("edit") : s("newCondition")}>
      {problem && (
        <p role="alert" class="error" tabIndex={-1}>
          {problem.summary}
        </p>
      )}
      <Field
        name="name"
        label={t("name")}
        value={name}
        maxLength={200}
        onInput={(e) => setName(e.currentTarget.value)}
        error={problem?.fields.name}
      />
      <ScheduleEditor name="schedule" value={schedule} onChange={setSchedule} error={problem?.fields.schedule} submitted={submitted} />
      <DestinationPicker
        name="matched_destination"
        label={s("matchedLabel")}
        tenant={tenant}
        value={matched}
        onChange={setMatched}
        error={problem?.fields.matched_destination}
      />
      <DestinationPicker
        name="unmatched_destination"
        label={s("unmatchedLabel")}
        tenant={tenant}
        value={unmatched}
        onChange={setUnmatched}
        error={problem?.fields.unmatched_destination}
      />
      <button type="submit" disabled={busy}>
        {initial ? t("save") : t("create")}
      </button>
      {saved && <span role="status"> {t("saved")}</span>}
    </form>
  );
}
