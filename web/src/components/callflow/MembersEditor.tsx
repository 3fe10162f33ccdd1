// The members of a ring group: who rings (an extension of the tenant, found by number or
// name, or an outside number), after how long, and for how long. Rows are added and removed
// in place; the API checks the rest (extensions exist, no one twice, ranges).

import type { Schemas } from "../../api/client";
import { useStrings, type Strings } from "../../i18n";
import { DestinationPicker, type Choice, type Destination, type ObjectKind } from "../DestinationPicker";
import { Field } from "../Field";
import { rowKey } from "./destinations";
import { fill } from "./strings";

type Member = Schemas["RingGroupMember"];
type Target = Schemas["MemberTarget"];

export interface MemberRow {
  key: number;
  target: Destination | null;
  delay: string;
  timeout: string;
}

/** The kinds a member can be (`MemberTarget`). */
const MEMBER_KINDS = ["extension", "external_number"] as const;
export const MEMBER_FIELDS = ["target", "delay_seconds", "timeout_seconds"] as const;
export const MAX_MEMBERS = 50;

/** A new row: an extension still to choose, ringing at once for the API's default 20 s. */
export function newMemberRow(): MemberRow {
  return { key: rowKey(), target: { type: "extension", id: "" }, delay: "0", timeout: "20" };
}

export function memberRows(members: Member[]): MemberRow[] {
  return members.map((m) => ({
    key: rowKey(),
    target: m.target,
    delay: m.delay_seconds === undefined ? "" : String(m.delay_seconds),
    timeout: m.timeout_seconds === undefined ? "" : String(m.timeout_seconds),
  }));
}

function asTarget(d: Destination): Target | null {
  if (d.type === "extension") return { type: "extension", id: d.id };
  if (d.type === "external_number") return { type: "external_number", number: d.number.trim() };
  return null;
}

/** The members as the API takes them; `null` targets are the form's to report first. */
export function membersBody(rows: MemberRow[]): Member[] {
  return rows.flatMap((r) => {
    const target = r.target && asTarget(r.target);
    if (!target) return [];
    const m: Member = { target };
    const delay = r.delay.trim();
    const timeout = r.timeout.trim();
    if (delay !== "") m.delay_seconds = Number(delay);
    if (timeout !== "") m.timeout_seconds = Number(timeout);
    return [m];
  });
}

const S: Strings<"members" | "member" | "rings" | "delay" | "timeout" | "addMember" | "removeMember"> = {
  en: {
    members: "Members",
    member: "Member {n}",
    rings: "Rings",
    delay: "Starts ringing after (seconds)",
    timeout: "Rings for (seconds)",
    addMember: "Add member",
    removeMember: "Remove",
  },
  es: {
    members: "Miembros",
    member: "Miembro {n}",
    rings: "Suena en",
    delay: "Empieza a sonar a los (segundos)",
    timeout: "Suena durante (segundos)",
    addMember: "Añadir miembro",
    removeMember: "Quitar",
  },
};

interface Props {
  tenant: string;
  rows: MemberRow[];
  onChange: (rows: MemberRow[]) => void;
  /** Field errors by input name (`members`, `members.0.target` …). */
  errors: Record<string, string>;
  /** Stand-in for the API in tests. */
  load?: (tenant: string, kind: ObjectKind) => Promise<Choice[]>;
}

export function MembersEditor({ tenant, rows, onChange, errors, load }: Props) {
  const s = useStrings(S);
  const set = (key: number, change: Partial<MemberRow>) => onChange(rows.map((r) => (r.key === key ? { ...r, ...change } : r)));
  return (
    <fieldset class="cf-rows" aria-describedby={errors.members ? "f-members-error" : undefined}>
      <legend>{s("members")}</legend>
      {rows.map((row, i) => {
        const name = `members.${i}`;
        const label = fill(s("member"), { n: String(i + 1) });
        return (
          <fieldset class="cf-row" key={row.key}>
            <legend>{label}</legend>
            <DestinationPicker
              name={`${name}.target`}
              label={s("rings")}
              tenant={tenant}
              kinds={MEMBER_KINDS}
              value={row.target}
              onChange={(target) => set(row.key, { target })}
              error={errors[`${name}.target`]}
              load={load}
            />
            <Field
              name={`${name}.delay_seconds`}
              label={s("delay")}
              type="number"
              min={0}
              max={300}
              inputMode="numeric"
              value={row.delay}
              onInput={(e) => set(row.key, { delay: e.currentTarget.value })}
              error={errors[`${name}.delay_seconds`]}
            />
            <Field
              name={`${name}.timeout_seconds`}
              label={s("timeout")}
              type="number"
              min={5}
              max={300}
              inputMode="numeric"
              value={row.timeout}
              onInput={(e) => set(row.key, { timeout: e.currentTarget.value })}
              error={errors[`${name}.timeout_seconds`]}
            />
            <button type="button" class="secondary" onClick={() => onChange(rows.filter((r) => r.key !== row.key))}>
              {s("removeMember")} <span class="sr-only">{label}</span>
            </button>
          </fieldset>
        );
      })}
      {errors.members && (
        <small id="f-members-error" class="field-error">
          {errors.members}
        </small>
      )}
      <p>
        <button type="button" class="secondary" disabled={rows.length >= MAX_MEMBERS} onClick={() => onChange([...rows, newMemberRow()])}>
          {s("addMember")}
        </button>
      </p>
    </fieldset>
  );
}
