import { useEffect, useState } from "preact/hooks";
import { api, ifMatch, type Schemas } from "../api/client";
import { showProblem, type ShownProblem } from "../api/problem";
import { DestinationPicker, type Destination, type Kind } from "../components/DestinationPicker";
import { Show, useLoad } from "../components/load";
import { useT } from "../i18n";
import { isTenantAdmin, useMe } from "../state";

type Extension = Schemas["ExtensionView"];
const INPUTS = ["dnd", "forwarding.always"] as const;
/** A tenant user cannot list the tenant's objects, so forwards to a number. */
const USER_KINDS: readonly Kind[] = ["external_number"];

/** The caller's own phones (`/v1/me/extensions`): do-not-disturb and forwarding. */
export function MyPhones() {
  const t = useT();
  const [list, reload] = useLoad(() => api.GET("/v1/me/extensions"), []);
  return (
    <section>
      <h1>{t("myPhone")}</h1>
      <Show value={list}>
        {(page) =>
          page.items.length === 0 ? (
            <p>{t("noPhone")}</p>
          ) : (
            page.items.map((x) => <PhoneSettings key={x.id} ext={x} onSaved={reload} />)
          )
        }
      </Show>
    </section>
  );
}

function PhoneSettings({ ext, onSaved }: { ext: Extension; onSaved: () => void }) {
  const t = useT();
  const me = useMe();
  const [dnd, setDnd] = useState(ext.dnd);
  const [always, setAlways] = useState<Destination | null>(
    // A rule an admin turned off is shown (and kept) as no forwarding, never re-enabled.
    ext.forwarding.always?.enabled ? ext.forwarding.always.destination : null,
  );
  const [problem, setProblem] = useState<ShownProblem | null>(null);
  const [saved, setSaved] = useState(false);
  useEffect(() => setSaved(false), [dnd, always]);

  const save = async (e: Event) => {
    e.preventDefault();
    const { data, error } = await api.PATCH("/v1/me/extensions/{extension_id}", {
      params: { path: { extension_id: ext.id }, header: ifMatch(ext.version) },
      body: { dnd, forwarding: { ...ext.forwarding, always: always ? { enabled: true, destination: always } : null } },
    });
    if (data) {
      setProblem(null);
      setSaved(true);
      onSaved();
    } else setProblem(showProblem(error, INPUTS));
  };

  const dndId = `dnd-${ext.id}`;
  return (
    <form onSubmit={save} class="inline" aria-labelledby={`phone-${ext.id}`}>
      <h2 id={`phone-${ext.id}`}>
        {ext.number} · {ext.display_name}
      </h2>
      {problem && (
        <p role="alert" class="error">
          {problem.summary}
        </p>
      )}
      <div class="field check">
        <input id={dndId} type="checkbox" checked={dnd} onChange={(e) => setDnd(e.currentTarget.checked)} />
        <label for={dndId}>{t("dnd")}</label>
      </div>
      <DestinationPicker
        name={`forwarding.always`}
        label={t("forwardAlways")}
        tenant={me.tenant_id ?? ""}
        value={always}
        onChange={setAlways}
        optional
        kinds={isTenantAdmin(me) ? undefined : USER_KINDS}
        error={problem?.fields["forwarding.always"]}
      />
      <button type="submit">{t("save")}</button>
      {saved && <span role="status"> {t("saved")}</span>}
    </form>
  );
}
