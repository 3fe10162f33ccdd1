// The agents of a queue: each an extension of the tenant (found by number or name with the
// destination picker, limited to extensions) and its tier. The API checks the rest (the
// extensions exist, none twice, tier range).

import type { Choice, ObjectKind } from "../../components/DestinationPicker";
import { DestinationPicker } from "../../components/DestinationPicker";
import { Field } from "../../components/Field";
import { fill } from "../../components/callflow/strings";
import { useStrings } from "../../i18n";
import { newAgentRow, type AgentRow } from "./bodies";
import { QS } from "./strings";

const AGENT_KINDS = ["extension"] as const;
export const MAX_AGENTS = 200;

interface Props {
  tenant: string;
  rows: AgentRow[];
  onChange: (rows: AgentRow[]) => void;
  /** Field errors by input name (`agents`, `agents.0.extension_id` …). */
  errors: Record<string, string>;
  /** Stand-in for the API in tests. */
  load?: (tenant: string, kind: ObjectKind) => Promise<Choice[]>;
}

export function AgentsEditor({ tenant, rows, onChange, errors, load }: Props) {
  const s = useStrings(QS);
  const set = (key: number, change: Partial<AgentRow>) => onChange(rows.map((r) => (r.key === key ? { ...r, ...change } : r)));
  return (
    <fieldset class="cf-rows" aria-describedby={errors.agents ? "f-agents-error" : undefined}>
      <legend>{s("agents")}</legend>
      {rows.length === 0 && <p class="hint">{s("noAgents")}</p>}
      {rows.map((row, i) => {
        const name = `agents.${i}`;
        const label = fill(s("agent"), { n: String(i + 1) });
        return (
          <fieldset class="cf-row" key={row.key}>
            <legend>{label}</legend>
            <DestinationPicker
              name={`${name}.extension_id`}
              label={s("extension")}
              tenant={tenant}
              kinds={AGENT_KINDS}
              value={row.extension}
              onChange={(extension) => set(row.key, { extension })}
              error={errors[`${name}.extension_id`]}
              load={load}
            />
            <Field
              name={`${name}.tier`}
              label={s("tier")}
              hint={s("tierHint")}
              type="number"
              min={1}
              max={9}
              inputMode="numeric"
              value={row.tier}
              onInput={(e) => set(row.key, { tier: e.currentTarget.value })}
              error={errors[`${name}.tier`]}
            />
            <button type="button" class="secondary" onClick={() => onChange(rows.filter((r) => r.key !== row.key))}>
              {s("removeAgent")} <span class="sr-only">{label}</span>
            </button>
          </fieldset>
        );
      })}
      {errors.agents && (
        <small id="f-agents-error" class="field-error">
          {errors.agents}
        </small>
      )}
      <p>
        <button type="button" class="secondary" disabled={rows.length >= MAX_AGENTS} onClick={() => onChange([...rows, newAgentRow()])}>
          {s("addAgent")}
        </button>
      </p>
    </fieldset>
  );
}
