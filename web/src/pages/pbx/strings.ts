// Strings of the queue and conference pages, in both languages.

import type { Schemas } from "../../api/client";
import type { Strings } from "../../i18n";

type QueueKey =
  | "title"
  | "newQueue"
  | "strategy"
  | "agents"
  | "agentsCount"
  | "agent"
  | "extension"
  | "tier"
  | "tierHint"
  | "addAgent"
  | "removeAgent"
  | "noAgents"
  | "maxWait"
  | "maxWaitHint"
  | "wrapUp"
  | "wrapUpHint"
  | "musicOnHold"
  | "musicOnHoldHint"
  | "timeout"
  | "deleteQuestion"
  | Schemas["QueueStrategy"];

export const QS: Strings<QueueKey> = {
  en: {
    title: "Queues",
    newQueue: "New queue",
    strategy: "Strategy",
    agents: "Agents",
    agentsCount: "Agents",
    agent: "Agent {n}",
    extension: "Extension",
    tier: "Tier",
    tierHint: "1-9; lower tiers are offered calls first.",
    addAgent: "Add agent",
    removeAgent: "Remove",
    noAgents: "No agents yet: callers wait until the timeout.",
    maxWait: "Maximum wait (seconds)",
    maxWaitHint: "10-7200, default 300. After this the caller goes to the timeout destination.",
    wrapUp: "Wrap-up time (seconds)",
    wrapUpHint: "0-600, default 10: rest after a call before the next one is offered.",
    musicOnHold: "Music on hold",
    musicOnHoldHint: "The music-on-hold class (default “default”).",
    timeout: "When the wait is over",
    deleteQuestion: "Delete the queue {name}? Calls sent to it will need another destination.",
    ring_all: "Ring all agents",
    longest_idle: "Longest idle agent",
    round_robin: "Taking turns (round robin)",
    fewest_calls: "Fewest calls",
  },
  es: {
    title: "Colas",
    newQueue: "Nueva cola",
    strategy: "Estrategia",
    agents: "Agentes",
    agentsCount: "Agentes",
    agent: "Agente {n}",
    extension: "Extensión",
    tier: "Nivel",
    tierHint: "1-9; los niveles más bajos reciben las llamadas primero.",
    addAgent: "Añadir agente",
    removeAgent: "Quitar",
    noAgents: "Aún no hay agentes: las llamadas esperan hasta el tiempo máximo.",
    maxWait: "Espera máxima (segundos)",
    maxWaitHint: "10-7200; 300 por defecto. Pasado este tiempo la llamada va al destino de desbordamiento.",
    wrapUp: "Tiempo de descanso (segundos)",
    wrapUpHint: "0-600; 10 por defecto: pausa tras una llamada antes de ofrecer la siguiente.",
    musicOnHold: "Música en espera",
    musicOnHoldHint: "La clase de música en espera («default» por defecto).",
    timeout: "Cuando se acaba la espera",
    deleteQuestion: "¿Eliminar la cola {name}? Las llamadas que van a ella necesitarán otro destino.",
    ring_all: "Todos los agentes a la vez",
    longest_idle: "El agente más tiempo libre",
    round_robin: "Por turnos (rotativo)",
    fewest_calls: "El que menos llamadas tiene",
  },
};

export const QUEUE_STRATEGIES: readonly Schemas["QueueStrategy"][] = ["ring_all", "longest_idle", "round_robin", "fewest_calls"];

type ConferenceKey =
  | "title"
  | "newConference"
  | "pinSet"
  | "maxMembers"
  | "maxMembersHint"
  | "pin"
  | "pinHint"
  | "pinHintEdit"
  | "moderatorPin"
  | "moderatorPinHint"
  | "removePin"
  | "removeModeratorPin"
  | "pinIsSet"
  | "pinNotSet"
  | "moderatorPinIsSet"
  | "yes"
  | "no"
  | "deleteQuestion";

export const CS: Strings<ConferenceKey> = {
  en: {
    title: "Conferences",
    newConference: "New conference",
    pinSet: "PIN",
    maxMembers: "Maximum participants",
    maxMembersHint: "2-500, default 50.",
    pin: "PIN",
    pinHint: "4-12 digits; leave empty for an open room.",
    pinHintEdit: "4-12 digits; leave empty to keep the current PIN.",
    moderatorPin: "Moderator PIN",
    moderatorPinHint: "4-12 digits, different from the PIN; optional.",
    removePin: "Remove the PIN (open room)",
    removeModeratorPin: "Remove the moderator PIN",
    pinIsSet: "A PIN is set.",
    pinNotSet: "No PIN: anyone who calls the number joins.",
    moderatorPinIsSet: "A moderator PIN is set.",
    yes: "Yes",
    no: "No",
    deleteQuestion: "Delete the conference {name}? Calls sent to it will need another destination.",
  },
  es: {
    title: "Conferencias",
    newConference: "Nueva conferencia",
    pinSet: "PIN",
    maxMembers: "Máximo de participantes",
    maxMembersHint: "2-500; 50 por defecto.",
    pin: "PIN",
    pinHint: "4-12 dígitos; déjalo vacío para una sala abierta.",
    pinHintEdit: "4-12 dígitos; déjalo vacío para mantener el PIN actual.",
    moderatorPin: "PIN de moderador",
    moderatorPinHint: "4-12 dígitos, distinto del PIN; opcional.",
    removePin: "Quitar el PIN (sala abierta)",
    removeModeratorPin: "Quitar el PIN de moderador",
    pinIsSet: "Hay un PIN configurado.",
    pinNotSet: "Sin PIN: entra cualquiera que llame al número.",
    moderatorPinIsSet: "Hay un PIN de moderador configurado.",
    yes: "Sí",
    no: "No",
    deleteQuestion: "¿Eliminar la conferencia {name}? Las llamadas que van a ella necesitarán otro destino.",
  },
};
