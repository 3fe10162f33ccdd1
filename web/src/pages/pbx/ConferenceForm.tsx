// Creating and editing a conference room, and deleting one after a confirmation. The PINs
// are write-only: the API only says whether one is set, the form never shows one, a blank
// PIN field on edit keeps the stored PIN and a checkbox removes it (a `null` in the patch).

import { useState } from "preact/hooks";
import { useLocation } from "preact-iso";
import { api, ifMatch, type Schemas } from "../../api/client";
import { showProblem, type ShownProblem } from "../../api/problem";
import { ObjectPage } from "../../components/callflow/ObjectPage";
import { fill } from "../../components/callflow/strings";
import { Field } from "../../components/Field";
import { Show, useLoad } from "../../components/load";
import { useStrings, useT } from "../../i18n";
import { conferenceBody } from "./bodies";
import { CS } from "./strings";

type Conference = Schemas["ConferenceView"];

export function NewConference({ tenant }: { tenant: string }) {
  const s = useStrings(CS);
  const { route } = useLocation();
  return (
    <section>
      <h1>{s("newConference")}</h1>
      <ConferenceForm tenant={tenant} onSaved={(c) => route(`/conferences/${c.id}`)} />
    </section>
  );
}

export function ConferencePage({ tenant, id }: { tenant: string; id: string }) {
  const [conference, reload] = useLoad(
    () => api.GET("/v1/tenants/{tenant_id}/conferences/{conference_id}", { params: { path: { tenant_id: tenant, conference_id: id } } }),
    [tenant, id],
  );
  return <Show value={conference}>{(c) => <OneConference tenant={tenant} conference={c} reload={reload} />}</Show>;
}

function OneConference({ tenant, conference, reload }: { tenant: string; conference: Conference; reload: () => void }) {
  const s = useStrings(CS);
  const title = `${conference.number} · ${conference.name}`;
  return (
    <ObjectPage
      base="/conferences"
      title={title}
      deleteQuestion={fill(s("deleteQuestion"), { name: title })}
      remove={() =>
        api.DELETE("/v1/tenants/{tenant_id}/conferences/{conference_id}", {
          params: { path: { tenant_id: tenant, conference_id: conference.id }, header: ifMatch(conference.version) },
        })
      }
    >
      <ConferenceForm tenant={tenant} conference={conference} onSaved={reload} />
    </ObjectPage>
  );
}

const INPUTS = ["number", "name", "pin", "moderator_pin", "max_members"];

interface FormProps {
  tenant: string;
  conference?: Conference;
  onSaved: (c: Conference) => void;
  /** Stand-in for the API in tests. */
  send?: (body: Schemas["CreateConference"] & Schemas["UpdateConference"]) => Promise<{ data?: Conference; error?: unknown }>;
}

export function ConferenceForm({ tenant, conference, onSaved, send }: FormProps) {
  const t = useT();
  const s = useStrings(CS);
  const editing = conference !== undefined;
  const [number, setNumber] = useState(conference?.number ?? "");
  const [name, setName] = useState(conference?.name ?? "");
  const [pin, setPin] = useState("");
  const [removePin, setRemovePin] = useState(false);
  const [moderatorPin, setModeratorPin] = useState("");
  const [removeModeratorPin, setRemoveModeratorPin] = useState(false);
  const [maxMembers, setMaxMembers] = useState(String(conference?.max_members ?? 50));
  const [problem, setProblem] = useState<ShownProblem | null>(null);
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);
  // Any change hides "saved". (Not an effect on the values: a save itself clears the PIN
  // fields, and its "saved" must stay.)
  const edit =
    <T,>(set: (v: T) => void) =>
    (v: T) => {
      setSaved(false);
      set(v);
    };

  const submit = async (e: Event) => {
    e.preventDefault();
    const body = conferenceBody({ number, name, pin, removePin, moderatorPin, removeModeratorPin, maxMembers }, editing);
    setBusy(true);
    const { data, error } = send
      ? await send(body)
      : conference
        ? await api.PATCH("/v1/tenants/{tenant_id}/conferences/{conference_id}", {
            params: { path: { tenant_id: tenant, conference_id: conference.id }, header: ifMatch(conference.version) },
            body,
          })
        : await api.POST("/v1/tenants/{tenant_id}/conferences", { params: { path: { tenant_id: tenant } }, body });
    setBusy(false);
    if (data) {
      // The PINs sent are not kept in the page: the fields start empty again.
      setPin("");
      setModeratorPin("");
      setRemovePin(false);
      setRemoveModeratorPin(false);
      setProblem(null);
      setSaved(true);
      onSaved(data);
    } else setProblem(showProblem(error, INPUTS));
  };

  const fields = problem?.fields ?? {};
  return (
    <form onSubmit={submit} aria-label={editing ? t("edit") : s("newConference")} noValidate>
      {problem && (
        <p role="alert" class="error">
          {problem.summary}
        </p>
      )}
      <Field name="number" label={t("number")} required inputMode="numeric" value={number} onInput={(e) => edit(setNumber)(e.currentTarget.value)} error={fields.number} />
      <Field name="name" label={t("name")} required value={name} onInput={(e) => edit(setName)(e.currentTarget.value)} error={fields.name} />
      {editing && <p class="hint">{conference.has_pin ? s("pinIsSet") : s("pinNotSet")}</p>}
      <Field
        name="pin"
        label={s("pin")}
        hint={editing && conference.has_pin ? s("pinHintEdit") : s("pinHint")}
        type="password"
        autocomplete="new-password"
        inputMode="numeric"
        disabled={removePin}
        value={pin}
        onInput={(e) => edit(setPin)(e.currentTarget.value)}
        error={fields.pin}
      />
      {editing && conference.has_pin && (
        <div class="field">
          <label>
            <input type="checkbox" name="remove_pin" checked={removePin} onChange={(e) => edit(setRemovePin)(e.currentTarget.checked)} /> {s("removePin")}
          </label>
        </div>
      )}
      {editing && conference.has_moderator_pin && <p class="hint">{s("moderatorPinIsSet")}</p>}
      <Field
        name="moderator_pin"
        label={s("moderatorPin")}
        hint={editing && conference.has_moderator_pin ? s("pinHintEdit") : s("moderatorPinHint")}
        type="password"
        autocomplete="new-password"
        inputMode="numeric"
        disabled={removeModeratorPin}
        value={moderatorPin}
        onInput={(e) => edit(setModeratorPin)(e.currentTarget.value)}
        error={fields.moderator_pin}
      />
      {editing && conference.has_moderator_pin && (
        <div class="field">
          <label>
            <input
              type="checkbox"
              name="remove_moderator_pin"
              checked={removeModeratorPin}
              onChange={(e) => edit(setRemoveModeratorPin)(e.currentTarget.checked)}
            />{" "}
            {s("removeModeratorPin")}
          </label>
        </div>
      )}
      <Field
        name="max_members"
        label={s("maxMembers")}
        hint={s("maxMembersHint")}
        type="number"
        min={2}
        max={500}
        inputMode="numeric"
        value={maxMembers}
        onInput={(e) => edit(setMaxMembers)(e.currentTarget.value)}
        error={fields.max_members}
      />
      <button type="submit" disabled={busy}>
        {editing ? t("save") : t("create")}
      </button>
      {saved && editing && <span role="status"> {t("saved")}</span>}
    </form>
  );
}
