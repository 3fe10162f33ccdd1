// Strings shared by the call-flow pages (ring groups, IVR menus, numbers) and their editors.

import type { Strings } from "../../i18n";

export type FlowKey = "delete" | "yesDelete" | "chooseDestination" | "fixBelow" | "back";

export const FLOW: Strings<FlowKey> = {
  en: {
    delete: "Delete",
    yesDelete: "Yes, delete",
    chooseDestination: "Choose where calls go.",
    fixBelow: "Some fields need attention.",
    back: "Back to the list",
  },
  es: {
    delete: "Eliminar",
    yesDelete: "Sí, eliminar",
    chooseDestination: "Elige adónde van las llamadas.",
    fixBelow: "Hay campos que revisar.",
    back: "Volver a la lista",
  },
};

/** Fills `{name}`-style placeholders. */
export function fill(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (m, k: string) => values[k] ?? m);
}
