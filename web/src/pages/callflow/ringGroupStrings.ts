import type { Schemas } from "../../api/client";
import type { Strings } from "../../i18n";

type Key =
  | "title"
  | "newGroup"
  | "strategy"
  | "ringSeconds"
  | "ringSecondsHint"
  | "members"
  | "fallback"
  | "deleteQuestion"
  | Schemas["RingStrategy"];

export const RG: Strings<Key> = {
  en: {
    title: "Ring groups",
    newGroup: "New ring group",
    strategy: "Ring strategy",
    ringSeconds: "Ring time (seconds)",
    ringSecondsHint: "How long the group rings before the call goes to the fallback (5-600, default 30).",
    members: "Members",
    fallback: "If nobody answers",
    deleteQuestion: "Delete the ring group {name}? Calls sent to it will need another destination.",
    simultaneous: "All at once",
    sequential: "One after another",
    random: "In random order",
    round_robin: "Taking turns (round robin)",
  },
  es: {
    title: "Grupos de timbrado",
    newGroup: "Nuevo grupo de timbrado",
    strategy: "Estrategia de timbrado",
    ringSeconds: "Tiempo de timbrado (segundos)",
    ringSecondsHint: "Cuánto suena el grupo antes de pasar la llamada al destino alternativo (5-600; 30 por defecto).",
    members: "Miembros",
    fallback: "Si nadie contesta",
    deleteQuestion: "¿Eliminar el grupo de timbrado {name}? Las llamadas que van a él necesitarán otro destino.",
    simultaneous: "Todos a la vez",
    sequential: "Uno tras otro",
    random: "En orden aleatorio",
    round_robin: "Por turnos (rotativo)",
  },
};

export const STRATEGIES: readonly Schemas["RingStrategy"][] = ["simultaneous", "sequential", "random", "round_robin"];
