import { useEffect, useState } from "preact/hooks";
import { useRoute } from "preact-iso";
import { api, ifMatch, type Schemas } from "../api/client";
import { showProblem, type ShownProblem } from "../api/problem";
import { Confirm } from "../components/Confirm";
import { DestinationPicker, type Destination } from "../components/DestinationPicker";
import { Field } from "../components/Field";
import { Show, useLoad } from "../components/load";
import { Secret } from "../components/Secret";
import { useT } from "../i18n";
import { useMe } from "../state";

type Extension = Schemas["ExtensionView"];
const INPUTS = ["display_name", "dnd", "forwarding.always"] as const;

export function ExtensionPage() {
  const { params } = useRoute();
  const me = useMe();
  const tenant = me.tenant_id ?? "";
  const id = params.id ?? "";
  const [ext, reload] = useLoad(
    () =>
      api.GET("/v1/tenants/{tenant_id}/extensions/{extension_id}", {
        params: { path: { tenant_id: tenant, extension_id: id } },
      }),
    [tenant, id],
  );
  return <Show value={ext}>{(x) => <Editor tenant={tenant} ext={x} onSaved={reload} />}</Show>;
}

function Editor({ tenant, ext, onSaved }: { tenant: string; ext: Extension; onSaved: () => void }) {
  const t = useT();
  const [displayName, setDisplayName] = useState(ext.display_name);
  const [dnd, setDnd] = useState(ext.dnd);
  const [always, setAlways] = useState<Destination | null>(
    // A rule an admin turned off is shown (and kept) as no forwarding, never re-enabled.
    ext.forwarding.always?.enabled ? ext.forwarding.always.destination : null,
  );
  const [problem, setProblem] = useState<ShownProblem | null>(null);
  const [saved, setSaved] = useState(false);
  const [password, setPassword] = useState<string | null>(null);
  useEffect(() => setSaved(false), [displayName, dnd, always]);

  const path = { tenant_id: tenant, extension_id: ext.id };
  const save = async (e: Event) => {
    e.preventDefault();
    const { data, error } = await api.PATCH("/v1/tenants/{tenant_id}/extensions/{extension_id}", {
      params: { path, header: ifMatch(ext.version) },
      body: {
        display_name: displayName,
        dnd,
        forwarding: { ...ext.forwarding, always: always ? { enabled: true, destination: always } : null },
      },
    });
    if (data) {
      setProblem(null);
      setSaved(true);
      onSaved();
    } else setProblem(showProblem(error, INPUTS));
  };

  const reset = async () => {
    const { data, error } = await api.POST("/v1/tenants/{tenant_id}/extensions/{extension_id}/reset-password", {
      params: { path },
    });
    if (data) setPassword(data.sip_password);
    else setProblem(showProblem(error));
  };

  return (
    <section>
      <h1>
        {ext.number} · {ext.display_name}
      </h1>
      <p>
        {t("sipUsername")}: <code>{ext.sip_username}</code>
      </p>
      <form onSubmit={save} aria-label={t("edit")}>
        {problem && (
          <p role="alert" class="error">
            {problem.summary}
          </p>
        )}
        <Field
          name="display_name"
          label={t("displayName")}
          value={displayName}
          onInput={(e) => setDisplayName(e.currentTarget.value)}
          error={problem?.fields.display_name}
        />
        <div class="field check">
          <input id="f-dnd" type="checkbox" checked={dnd} onChange={(e) => setDnd(e.currentTarget.checked)} />
          <label for="f-dnd">{t("dnd")}</label>
        </div>
        <DestinationPicker
          name="forwarding.always"
          label={t("forwardAlways")}
          tenant={tenant}
          value={always}
          onChange={setAlways}
          optional
          error={problem?.fields["forwarding.always"]}
        />
        <button type="submit">{t("save")}</button>
        {saved && <span role="status"> {t("saved")}</span>}
      </form>
      <p>
        <Confirm
          action={t("resetPassword")}
          name={ext.number}
          question={t("resetPasswordQuestion")}
          confirm={t("resetPassword")}
          onConfirm={reset}
        />
      </p>
      {password && <Secret label={t("sipPassword")} value={password} />}
    </section>
  );
}
