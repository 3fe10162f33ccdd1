// Builds a time condition and an IVR menu with the types openapi-typescript generated from
// openapi/centralita.json; `tsc --strict` must accept it (tests/clients/run.sh). With rules
// typed as bare objects (`Record<string, never>`) or plans untyped, this did not compile.
import type { components } from "./centralita";

type Schemas = components["schemas"];

const office: Schemas["TimeRule"] = { weekdays: ["mon-fri"], times: ["09:00-17:30"] };
const christmas: Schemas["TimeRule"] = { dates: ["2026-12-24..2026-12-26"] };

export const hours: Schemas["CreateTimeCondition"] = {
  name: "Office hours",
  schedule: { time_zone: "Europe/Madrid", rules: [office], exceptions: [christmas] },
  matched_destination: { type: "ring_group", id: "0190a1b2-0000-7000-8000-000000000001" },
  unmatched_destination: { type: "voicemail_box", id: "0190a1b2-0000-7000-8000-000000000002" },
};

export const menu: Schemas["CreateIvrMenu"] = {
  number: "500",
  name: "Main",
  greeting: { type: "text", text: "Welcome. For sales, press 1.", language: "en" },
  options: [
    { digit: "1", destination: { type: "time_condition", id: "0190a1b2-0000-7000-8000-000000000003" } },
    { digit: "0", destination: { type: "external_number", number: "+34911234567" } },
  ],
  timeout_destination: { type: "hangup" },
  timeout_seconds: 5,
};

// A plan read back from the switch surface narrows on its `action`.
export function describe(plan: Schemas["Plan"]): string {
  switch (plan.action) {
    case "ring":
      return `ring ${plan.legs.length} legs, then ${describe(plan.on_no_answer)}`;
    case "ivr":
      return `menu ${plan.name} with ${plan.options.map((o) => o.digit).join("")}`;
    default:
      return plan.action;
  }
}
