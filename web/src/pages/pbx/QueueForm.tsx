// Creating and editing a queue (one form for both: a create POSTs every field, an edit
// PATCHes them with If-Match, the agents replacing the whole list), and deleting one after a
// confirmation.

import { useEffect, useState } from "preact/hooks";
import { useLocation } from "preact-iso";
import { api, ifMatch, type Schemas } from "../../api/client";
import { showProblem, type ShownProblem } from "../../api/problem";
import { ObjectPage } from "../../components/callflow/ObjectPage";
import { intOrUndefined, rowInputs, unfinished } from "../../components/callflow/destinations";
import { Select } from "../../components/callflow/Select";
import { FLOW, fill } from "../../components/callflow/strings";
import { DestinationPicker, type Choice, type Destination, type ObjectKind } from "../../components/DestinationPicker";
import { Field } from "../../components/Field";
import { Show, useLoad } from "../../components/load";
import { useStrings, useT } from "../../i18n";
import { AgentsEditor } from "./AgentsEditor";
import { AGENT_FIELDS, agentExtension, agentRows, agentsBody, newAgentRow, type AgentRow } from "./bodies";
import { QS, QUEUE_STRATEGIES } from "./strings";

type Queue = Schemas["QueueView"];
type Strategy = Schemas["QueueStrategy"];

export function NewQueue({ tenant }: { tenant: string }) {
  const s = useStrings(QS);
  const { route } = useLocation();
  return (
    <section>
      <h1>{s("newQueue")}</h1>
      <QueueForm tenant={tenant} onSaved={(q) => route(`/queues/${q.id}`)} />
    </section>
  );
}

export function QueuePage({ tenant, id }: { tenant: string; id: string }) {
  const [queue, reload] = useLoad(
    () => api.GET("/v1/tenants/{tenant_id}/queues/{queue_id}", { params: { path: { tenant_id: tenant, queue_id: id } } }),
    [tenant, id],
  );
  return <Show value={queue}>{(q) => <OneQueue tenant={tenant} queue={q} reload={reload} />}</Show>;
}

function OneQueue({ tenant, queue, reload }: { tenant: string; queue: Queue; reload: () => void }) {
  const s = useStrings(QS);
  const title = `${queue.number} · ${queue.name}`;
  return (
    <ObjectPage
      base="/queues"
      title={title}
      deleteQuestion={fill(s("deleteQuestion"), { name: title })}
      remove={() =>
        api.DELETE("/v1/tenants/{tenant_id}/queues/{queue_id}", {
          params: { path: { tenant_id: tenant, queue_id: queue.id }, header: ifMatch(queue.version) },
        })
      }
    >
      <QueueForm tenant={tenant} queue={queue} onSaved={reload} />
    </ObjectPage>
  );
}

export interface QueueFormInput {
  number: string;
  name: string;
  strategy: Strategy;
  maxWait: string;
  wrapUp: string;
  musicOnHold: string;
  agents: AgentRow[];
  timeout: Destination;
}

/** The body both POST and PATCH take; blank numbers and music class are the API's defaults. */
export function queueBody(input: QueueFormInput): Schemas["CreateQueue"] & Schemas["UpdateQueue"] {
  const moh = input.musicOnHold.trim();
  return {
    number: input.number.trim(),
    name: input.name.trim(),
    strategy: input.strategy,
    agents: agentsBody(input.agents),
    max_wait_seconds: intOrUndefined(input.maxWait),
    wrap_up_seconds: intOrUndefined(input.wrapUp),
    music_on_hold: moh === "" ? undefined : moh,
    timeout_destination: input.timeout,
  };
}

const INPUTS = ["number", "name", "strategy", "max_wait_seconds", "wrap_up_seconds", "music_on_hold", "timeout_destination"];

interface FormProps {
  tenant: string;
  queue?: Queue;
  onSaved: (q: Queue) => void;
  /** Stand-in for the API in tests. */
  send?: (body: Schemas["CreateQueue"]) => Promise<{ data?: Queue; error?: unknown }>;
  load?: (tenant: string, kind: ObjectKind) => Promise<Choice[]>;
}

export function QueueForm({ tenant, queue, onSaved, send, load }: FormProps) {
  const t = useT();
  const s = useStrings(QS);
  const f = useStrings(FLOW);
  const [number, setNumber] = useState(queue?.number ?? "");
  const [name, setName] = useState(queue?.name ?? "");
  const [strategy, setStrategy] = useState<Strategy>(queue?.strategy ?? "ring_all");
  const [maxWait, setMaxWait] = useState(String(queue?.max_wait_seconds ?? 300));
  const [wrapUp, setWrapUp] = useState(String(queue?.wrap_up_seconds ?? 10));
  const [musicOnHold, setMusicOnHold] = useState(queue?.music_on_hold ?? "default");
  const [agents, setAgents] = useState<AgentRow[]>(() => (queue ? agentRows(queue.agents) : [newAgentRow()]));
  const [timeout, setTimeout_] = useState<Destination | null>(queue?.timeout_destination ?? { type: "hangup" });
  const [problem, setProblem] = useState<ShownProblem | null>(null);
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);
  useEffect(() => setSaved(false), [number, name, strategy, maxWait, wrapUp, musicOnHold, agents, timeout]);

  const submit = async (e: Event) => {
    e.preventDefault();
    // An agent row without an extension, or an unchosen destination, is caught here with a
    // message saying what to do, rather than sent as an empty id.
    const local: Record<string, string> = {};
    agents.forEach((a, i) => agentExtension(a) === null && (local[`agents.${i}.extension_id`] = f("chooseDestination")));
    if (unfinished(timeout)) local.timeout_destination = f("chooseDestination");
    if (Object.keys(local).length || !timeout) {
      setProblem({ summary: f("fixBelow"), fields: local, status: 0, code: "local" });
      return;
    }
    const body = queueBody({ number, name, strategy, maxWait, wrapUp, musicOnHold, agents, timeout });
    setBusy(true);
    const { data, error } = send
      ? await send(body)
      : queue
        ? await api.PATCH("/v1/tenants/{tenant_id}/queues/{queue_id}", {
            params: { path: { tenant_id: tenant, queue_id: queue.id }, header: ifMatch(queue.version) },
            body,
          })
        : await api.POST("/v1/tenants/{tenant_id}/queues", { params: { path: { tenant_id: tenant } }, body });
    setBusy(false);
    if (data) {
      setProblem(null);
      setSaved(true);
      onSaved(data);
    } else setProblem(showProblem(error, [...INPUTS, ...rowInputs("agents", agents.length, AGENT_FIELDS)]));
  };

  const fields = problem?.fields ?? {};
  return (
    <form onSubmit={submit} aria-label={queue ? t("edit") : s("newQueue")} noValidate>
      {problem && (
        <p role="alert" class="error">
          {problem.summary}
        </p>
      )}
      <Field name="number" label={t("number")} required inputMode="numeric" value={number} onInput={(e) => setNumber(e.currentTarget.value)} error={fields.number} />
      <Field name="name" label={t("name")} required value={name} onInput={(e) => setName(e.currentTarget.value)} error={fields.name} />
      <Select
        name="strategy"
        label={s("strategy")}
        value={strategy}
        options={QUEUE_STRATEGIES.map((x) => ({ value: x, label: s(x) }))}
        onChange={(e) => setStrategy(e.currentTarget.value as Strategy)}
        error={fields.strategy}
      />
      <AgentsEditor tenant={tenant} rows={agents} onChange={setAgents} errors={fields} load={load} />
      <Field
        name="max_wait_seconds"
        label={s("maxWait")}
        hint={s("maxWaitHint")}
        type="number"
        min={10}
        max={7200}
        inputMode="numeric"
        value={maxWait}
        onInput={(e) => setMaxWait(e.currentTarget.value)}
        error={fields.max_wait_seconds}
      />
      <Field
        name="wrap_up_seconds"
        label={s("wrapUp")}
        hint={s("wrapUpHint")}
        type="number"
        min={0}
        max={600}
        inputMode="numeric"
        value={wrapUp}
        onInput={(e) => setWrapUp(e.currentTarget.value)}
        error={fields.wrap_up_seconds}
      />
      <Field
        name="music_on_hold"
        label={s("musicOnHold")}
        hint={s("musicOnHoldHint")}
        value={musicOnHold}
        onInput={(e) => setMusicOnHold(e.currentTarget.value)}
        error={fields.music_on_hold}
      />
      <DestinationPicker name="timeout_destination" label={s("timeout")} tenant={tenant} value={timeout} onChange={setTimeout_} error={fields.timeout_destination} load={load} />
      <button type="submit" disabled={busy}>
        {queue ? t("save") : t("create")}
      </button>
      {saved && queue && <span role="status"> {t("saved")}</span>}
    </form>
  );
}
