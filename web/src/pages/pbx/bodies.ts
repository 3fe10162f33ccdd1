// What the queue and conference forms send: pure functions, so the rules (an unchosen agent
// is the form's to report, a blank PIN on edit keeps the stored one) are tested on their own.

import type { Schemas } from "../../api/client";
import { intOrUndefined, rowKey } from "../../components/callflow/destinations";
import type { Destination } from "../../components/DestinationPicker";

type Agent = Schemas["QueueAgent"];

/** One agent row of the form: an extension (chosen with the picker) and its tier. */
export interface AgentRow {
  key: number;
  extension: Destination | null;
  tier: string;
}

export const AGENT_FIELDS = ["extension_id", "tier"] as const;

export function newAgentRow(): AgentRow {
  return { key: rowKey(), extension: { type: "extension", id: "" }, tier: "1" };
}

export function agentRows(agents: Agent[]): AgentRow[] {
  return agents.map((a) => ({ key: rowKey(), extension: { type: "extension", id: a.extension_id }, tier: a.tier === undefined ? "" : String(a.tier) }));
}

/** The extension a row names, or `null` while none is chosen. */
export function agentExtension(row: AgentRow): string | null {
  return row.extension?.type === "extension" && row.extension.id !== "" ? row.extension.id : null;
}

/** The agents as the API takes them; rows without an extension are left out (the form
 * reports them before sending). A blank tier is the API's default. */
export function agentsBody(rows: AgentRow[]): Agent[] {
  return rows.flatMap((r) => {
    const id = agentExtension(r);
    if (!id) return [];
    const tier = intOrUndefined(r.tier);
    return [tier === undefined ? { extension_id: id } : { extension_id: id, tier }];
  });
}

/** A PIN for the API. On create a blank PIN is "none" (left out). On edit a blank field keeps
 * the stored PIN (left out, as in a merge patch), and `remove` clears it with `null`. */
export function pinValue(raw: string, opts: { editing: boolean; remove?: boolean }): string | null | undefined {
  if (opts.editing && opts.remove) return null;
  const pin = raw.trim();
  return pin === "" ? undefined : pin;
}

export interface ConferenceInput {
  number: string;
  name: string;
  pin: string;
  removePin: boolean;
  moderatorPin: string;
  removeModeratorPin: boolean;
  maxMembers: string;
}

/** The conference body: PIN fields only when they change anything. */
export function conferenceBody(input: ConferenceInput, editing: boolean): Schemas["CreateConference"] & Schemas["UpdateConference"] {
  const body: Schemas["CreateConference"] & Schemas["UpdateConference"] = { number: input.number.trim(), name: input.name.trim() };
  const maxMembers = intOrUndefined(input.maxMembers);
  if (maxMembers !== undefined) body.max_members = maxMembers;
  const pin = pinValue(input.pin, { editing, remove: input.removePin });
  if (pin !== undefined) body.pin = pin;
  const moderatorPin = pinValue(input.moderatorPin, { editing, remove: input.removeModeratorPin });
  if (moderatorPin !== undefined) body.moderator_pin = moderatorPin;
  return body;
}
