// Creating and editing a ring group (one form for both: a create POSTs every field, an edit
// PATCHes them with If-Match), and deleting one after a confirmation.

import { useEffect, useState } from "preact/hooks";
import { useLocation } from "preact-iso";
import { api, ifMatch, type Schemas } from "../../api/client";
import { showProblem, type ShownProblem } from "../../api/problem";
import { ObjectPage } from "../../components/callflow/ObjectPage";
import { intOrUndefined, rowInputs, unfinished } from "../../components/callflow/destinations";
import { MEMBER_FIELDS, MembersEditor, memberRows, membersBody, newMemberRow, type MemberRow } from "../../components/callflow/MembersEditor";
import { Select } from "../../components/callflow/Select";
import { FLOW, fill } from "../../components/callflow/strings";
import { DestinationPicker, type Destination } from "../../components/DestinationPicker";
import { Field } from "../../components/Field";
import { Show, useLoad } from "../../components/load";
import { useStrings, useT } from "../../i18n";
import { RG, STRATEGIES } from "./ringGroupStrings";

type Group = Schemas["RingGroupView"];
type Strategy = Schemas["RingStrategy"];

export function NewRingGroup({ tenant }: { tenant: string }) {
  const s = useStrings(RG);
  const { route } = useLocation();
  return (
    <section>
      <h1>{s("newGroup")}</h1>
      <RingGroupForm tenant={tenant} onSaved={(g) => route(`/ring-groups/${g.id}`)} />
    </section>
  );
}

export function RingGroupPage({ tenant, id }: { tenant: string; id: string }) {
  const [group, reload] = useLoad(
    () => api.GET("/v1/tenants/{tenant_id}/ring-groups/{ring_group_id}", { params: { path: { tenant_id: tenant, ring_group_id: id } } }),
    [tenant, id],
  );
  return <Show value={group}>{(g) => <GroupPage tenant={tenant} group={g} reload={reload} />}</Show>;
}

function GroupPage({ tenant, group, reload }: { tenant: string; group: Group; reload: () => void }) {
  const s = useStrings(RG);
  const title = `${group.number} · ${group.name}`;
  return (
    <ObjectPage
      base="/ring-groups"
      title={title}
      deleteQuestion={fill(s("deleteQuestion"), { name: title })}
      remove={() =>
        api.DELETE("/v1/tenants/{tenant_id}/ring-groups/{ring_group_id}", {
          params: { path: { tenant_id: tenant, ring_group_id: group.id }, header: ifMatch(group.version) },
        })
      }
    >
      <RingGroupForm tenant={tenant} group={group} onSaved={reload} />
    </ObjectPage>
  );
}

function RingGroupForm({ tenant, group, onSaved }: { tenant: string; group?: Group; onSaved: (g: Group) => void }) {
  const t = useT();
  const s = useStrings(RG);
  const f = useStrings(FLOW);
  const [number, setNumber] = useState(group?.number ?? "");
  const [name, setName] = useState(group?.name ?? "");
  const [strategy, setStrategy] = useState<Strategy>(group?.strategy ?? "simultaneous");
  const [ringSeconds, setRingSeconds] = useState(String(group?.ring_seconds ?? 30));
  const [members, setMembers] = useState<MemberRow[]>(() => (group ? memberRows(group.members) : [newMemberRow()]));
  const [fallback, setFallback] = useState<Destination | null>(group?.fallback ?? { type: "hangup" });
  const [problem, setProblem] = useState<ShownProblem | null>(null);
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);
  useEffect(() => setSaved(false), [number, name, strategy, ringSeconds, members, fallback]);

  const submit = async (e: Event) => {
    e.preventDefault();
    // Unchosen destinations are caught here, with a message saying what to do.
    const local: Record<string, string> = {};
    members.forEach((m, i) => unfinished(m.target) && (local[`members.${i}.target`] = f("chooseDestination")));
    if (unfinished(fallback)) local.fallback = f("chooseDestination");
    if (Object.keys(local).length || !fallback) {
      setProblem({ summary: f("fixBelow"), fields: local, status: 0, code: "local" });
      return;
    }
    const body = {
      number: number.trim(),
      name: name.trim(),
      strategy,
      ring_seconds: intOrUndefined(ringSeconds),
      members: membersBody(members),
      fallback,
    };
    setBusy(true);
    const { data, error } = group
      ? await api.PATCH("/v1/tenants/{tenant_id}/ring-groups/{ring_group_id}", {
          params: { path: { tenant_id: tenant, ring_group_id: group.id }, header: ifMatch(group.version) },
          body,
        })
      : await api.POST("/v1/tenants/{tenant_id}/ring-groups", { params: { path: { tenant_id: tenant } }, body });
    setBusy(false);
    if (data) {
      setProblem(null);
      setSaved(true);
      onSaved(data);
    } else setProblem(showProblem(error, ["number", "name", "strategy", "ring_seconds", "fallback", ...rowInputs("members", members.length, MEMBER_FIELDS)]));
  };

  const fields = problem?.fields ?? {};
  return (
    <form onSubmit={submit} aria-label={group ? t("edit") : s("newGroup")} noValidate>
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
        options={STRATEGIES.map((x) => ({ value: x, label: s(x) }))}
        onChange={(e) => setStrategy(e.currentTarget.value as Strategy)}
        error={fields.strategy}
      />
      <Field
        name="ring_seconds"
        label={s("ringSeconds")}
        hint={s("ringSecondsHint")}
        type="number"
        min={5}
        max={600}
        inputMode="numeric"
        value={ringSeconds}
        onInput={(e) => setRingSeconds(e.currentTarget.value)}
        error={fields.ring_seconds}
      />
      <MembersEditor tenant={tenant} rows={members} onChange={setMembers} errors={fields} />
      <DestinationPicker name="fallback" label={s("fallback")} tenant={tenant} value={fallback} onChange={setFallback} error={fields.fallback} />
      <button type="submit" disabled={busy}>
        {group ? t("save") : t("create")}
      </button>
      {saved && group && <span role="status"> {t("saved")}</span>}
    </form>
  );
}
