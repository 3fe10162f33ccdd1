import { useContext, useEffect, useState } from "preact/hooks";
import { useLocation } from "preact-iso";
import { api, ifMatch, type Schemas } from "../../api/client";
import { showProblem, type ShownProblem } from "../../api/problem";
import { Confirm } from "../../components/Confirm";
import { unfinished } from "../../components/callflow/destinations";
import { FLOW, fill } from "../../components/callflow/strings";
import { DestinationPicker, type Destination } from "../../components/DestinationPicker";
import { Show, useLoad } from "../../components/load";
import { LocaleContext, useStrings, useT } from "../../i18n";
import { money } from "../../money";
import { DID, NUMBER_TYPES } from "./didStrings";

type Did = Schemas["DidView"];

export function DidPage({ tenant, id }: { tenant: string; id: string }) {
  const [did, reload] = useLoad(
    () => api.GET("/v1/tenants/{tenant_id}/dids/{did_id}", { params: { path: { tenant_id: tenant, did_id: id } } }),
    [tenant, id],
  );
  return <Show value={did}>{(d) => <DidDetail tenant={tenant} did={d} reload={reload} />}</Show>;
}

function DidDetail({ tenant, did, reload }: { tenant: string; did: Did; reload: () => void }) {
  const t = useT();
  const s = useStrings(DID);
  const f = useStrings(FLOW);
  const types = useStrings(NUMBER_TYPES);
  const { locale } = useContext(LocaleContext);
  const { route } = useLocation();
  const [destination, setDestination] = useState<Destination | null>(did.destination ?? null);
  const [problem, setProblem] = useState<ShownProblem | null>(null);
  const [releaseProblem, setReleaseProblem] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);
  useEffect(() => setSaved(false), [destination]);
  const path = { tenant_id: tenant, did_id: did.id };

  const save = async (e: Event) => {
    e.preventDefault();
    // "None" (null) is a valid answer: it clears the destination.
    if (destination && unfinished(destination)) {
      setProblem({ summary: f("fixBelow"), fields: { destination: f("chooseDestination") }, status: 0, code: "local" });
      return;
    }
    setBusy(true);
    const { data, error } = await api.PATCH("/v1/tenants/{tenant_id}/dids/{did_id}", {
      params: { path, header: ifMatch(did.version) },
      body: { destination },
    });
    setBusy(false);
    if (data) {
      setProblem(null);
      setSaved(true);
      reload();
    } else setProblem(showProblem(error, ["destination"]));
  };

  const release = async () => {
    const { error, response } = await api.DELETE("/v1/tenants/{tenant_id}/dids/{did_id}", {
      params: { path, header: ifMatch(did.version) },
    });
    if (response.ok) route("/dids");
    else setReleaseProblem(showProblem(error).summary);
  };

  return (
    <section>
      <p>
        <a href="/dids">{f("back")}</a>
      </p>
      <h1>{did.number}</h1>
      <dl class="cf-facts">
        <dt>{s("type")}</dt>
        <dd>{types(did.number_type)}</dd>
        {did.country && (
          <>
            <dt>{s("country")}</dt>
            <dd>{did.country}</dd>
          </>
        )}
        <dt>{s("setupFee")}</dt>
        <dd>{money(did.setup_fee, did.currency)}</dd>
        <dt>{s("monthlyFee")}</dt>
        <dd>{money(did.monthly_fee, did.currency)}</dd>
        {did.assigned_at && (
          <>
            <dt>{s("since")}</dt>
            <dd>{new Date(did.assigned_at).toLocaleDateString(locale)}</dd>
          </>
        )}
      </dl>
      {!did.destination && <p class="cf-notice">{s("notRouted")}</p>}
      <form onSubmit={save} aria-label={s("goesTo")}>
        {problem && (
          <p role="alert" class="error">
            {problem.summary}
          </p>
        )}
        <DestinationPicker name="destination" label={s("goesTo")} tenant={tenant} value={destination} onChange={setDestination} optional error={problem?.fields.destination} />
        <p class="hint">{s("goesToHint")}</p>
        <button type="submit" disabled={busy}>
          {t("save")}
        </button>
        {saved && <span role="status"> {t("saved")}</span>}
      </form>
      <div class="cf-danger-zone">
        {releaseProblem && (
          <p role="alert" class="error">
            {releaseProblem}
          </p>
        )}
        <Confirm action={s("release")} name={did.number} question={fill(s("releaseQuestion"), { name: did.number })} confirm={s("yesRelease")} onConfirm={release} />
      </div>
    </section>
  );
}
