// Strings of the people-and-calls area (users, voicemail, call history), in both languages.
// Shared keys that already exist in `en.ts` (e-mail, save, status…) come from `useT()`.

import { useContext } from "preact/hooks";
import type { Schemas } from "../../api/client";
import { LocaleContext, useStrings, type Strings } from "../../i18n";

type Role = Schemas["Role"];
type Direction = Schemas["Direction"];
type Disposition = Schemas["Disposition"];

const en = {
  newUser: "New user",
  userCreated: "User created",
  roleTenantUser: "User",
  roleTenantAdmin: "Administrator",
  rolePartnerAdmin: "Partner administrator",
  roleSupport: "Support",
  rolePlatformAdmin: "Platform administrator",
  statusDisabled: "Disabled",
  initialPassword: "Password",
  passwordHint: "12 to 128 characters. The user can change it later.",
  newPassword: "New password",
  newPasswordHint: "Leave empty to keep the current one. A new password signs the user out everywhere.",
  withExtension: "Give this user an extension",
  extension: "Extension",
  extensionNumber: "Extension number",
  extensionName: "Name on the extension",
  extensionNameHint: "Empty: the user's display name.",
  withVoicemail: "Give this user a voicemail box",
  mailbox: "Mailbox",
  mailboxHint: "Empty: the extension number.",
  pin: "PIN",
  pinHint: "4 to 12 digits; easy PINs such as 1234 are refused.",
  voicemailEmails: "E-mail new messages to",
  voicemailEmailsHint: "Addresses separated by commas; empty for none.",
  lastLogin: "Last sign-in",
  never: "Never",
  editUser: "Edit user",
  backToUsers: "All users",
  more: "More",
  loadingMore: "Loading more…",
  mailboxes: "Voicemail boxes",
  emails: "E-mail addresses",
  messages: "Messages",
  messagesOf: "Mailbox",
  backToVoicemail: "All voicemail boxes",
  noMessages: "No messages in this box.",
  noOwnMessages: "You have no voicemail messages.",
  unreadOnly: "Unread only",
  show: "Show",
  all: "All",
  received: "Received",
  read: "Read",
  unread: "New",
  unknownCaller: "Unknown caller",
  play: "Play",
  loadingAudio: "Loading audio…",
  closeAudio: "Close player",
  audioOf: "Message from",
  markRead: "Mark read",
  markUnread: "Mark unread",
  delete: "Delete",
  confirmDelete: "Delete this message for good?",
  confirmDeleteYes: "Yes, delete",
  deleted: "Message deleted",
  from: "From",
  to: "To",
  direction: "Direction",
  disposition: "Result",
  any: "Any",
  inbound: "Inbound",
  outbound: "Outbound",
  internal: "Internal",
  answered: "Answered",
  noAnswer: "No answer",
  busy: "Busy",
  failed: "Failed",
  charge: "Charge",
  filter: "Filter",
  clearFilters: "Clear",
  filters: "Filters",
  exportCsv: "Export CSV",
  exporting: "Exporting…",
  noCalls: "No calls match these filters.",
  callsShown: "calls shown",
  callShown: "call shown",
  callsTable: "Calls",
  usersTable: "Users",
  messagesTable: "Messages",
  boxesTable: "Voicemail boxes",
};

const es: Record<keyof typeof en, string> = {
  newUser: "Nuevo usuario",
  userCreated: "Usuario creado",
  roleTenantUser: "Usuario",
  roleTenantAdmin: "Administrador",
  rolePartnerAdmin: "Administrador de partner",
  roleSupport: "Soporte",
  rolePlatformAdmin: "Administrador de la plataforma",
  statusDisabled: "Desactivado",
  initialPassword: "Contraseña",
  passwordHint: "Entre 12 y 128 caracteres. El usuario puede cambiarla después.",
  newPassword: "Nueva contraseña",
  newPasswordHint: "Déjala vacía para mantener la actual. Una contraseña nueva cierra todas las sesiones del usuario.",
  withExtension: "Dar una extensión a este usuario",
  extension: "Extensión",
  extensionNumber: "Número de extensión",
  extensionName: "Nombre en la extensión",
  extensionNameHint: "Vacío: el nombre del usuario.",
  withVoicemail: "Dar un buzón de voz a este usuario",
  mailbox: "Buzón",
  mailboxHint: "Vacío: el número de la extensión.",
  pin: "PIN",
  pinHint: "De 4 a 12 dígitos; se rechazan PIN fáciles como 1234.",
  voicemailEmails: "Enviar los mensajes nuevos a",
  voicemailEmailsHint: "Direcciones separadas por comas; vacío para ninguna.",
  lastLogin: "Último acceso",
  never: "Nunca",
  editUser: "Editar usuario",
  backToUsers: "Todos los usuarios",
  more: "Más",
  loadingMore: "Cargando más…",
  mailboxes: "Buzones de voz",
  emails: "Direcciones de correo",
  messages: "Mensajes",
  messagesOf: "Buzón",
  backToVoicemail: "Todos los buzones",
  noMessages: "No hay mensajes en este buzón.",
  noOwnMessages: "No tiene mensajes de voz.",
  unreadOnly: "Solo no leídos",
  show: "Mostrar",
  all: "Todos",
  received: "Recibido",
  read: "Leído",
  unread: "Nuevo",
  unknownCaller: "Llamante desconocido",
  play: "Escuchar",
  loadingAudio: "Cargando audio…",
  closeAudio: "Cerrar reproductor",
  audioOf: "Mensaje de",
  markRead: "Marcar como leído",
  markUnread: "Marcar como no leído",
  delete: "Eliminar",
  confirmDelete: "¿Eliminar este mensaje definitivamente?",
  confirmDeleteYes: "Sí, eliminar",
  deleted: "Mensaje eliminado",
  from: "Desde",
  to: "Hasta",
  direction: "Sentido",
  disposition: "Resultado",
  any: "Cualquiera",
  inbound: "Entrante",
  outbound: "Saliente",
  internal: "Interna",
  answered: "Contestada",
  noAnswer: "Sin respuesta",
  busy: "Ocupado",
  failed: "Fallida",
  charge: "Coste",
  filter: "Filtrar",
  clearFilters: "Limpiar",
  filters: "Filtros",
  exportCsv: "Exportar CSV",
  exporting: "Exportando…",
  noCalls: "Ninguna llamada coincide con estos filtros.",
  callsShown: "llamadas mostradas",
  callShown: "llamada mostrada",
  callsTable: "Llamadas",
  usersTable: "Usuarios",
  messagesTable: "Mensajes",
  boxesTable: "Buzones de voz",
};

export type PeopleKey = keyof typeof en;
export const PEOPLE: Strings<PeopleKey> = { en, es };

export function usePeople(): (key: PeopleKey) => string {
  return useStrings(PEOPLE);
}

const ROLE_KEYS: Record<Role, PeopleKey> = {
  tenant_user: "roleTenantUser",
  tenant_admin: "roleTenantAdmin",
  partner_admin: "rolePartnerAdmin",
  support: "roleSupport",
  platform_admin: "rolePlatformAdmin",
};
export const roleKey = (role: Role): PeopleKey => ROLE_KEYS[role];

const DIRECTION_KEYS: Record<Direction, PeopleKey> = { inbound: "inbound", outbound: "outbound", internal: "internal" };
export const directionKey = (d: Direction): PeopleKey => DIRECTION_KEYS[d];

const DISPOSITION_KEYS: Record<Disposition, PeopleKey> = {
  answered: "answered",
  no_answer: "noAnswer",
  busy: "busy",
  failed: "failed",
};
export const dispositionKey = (d: Disposition): PeopleKey => DISPOSITION_KEYS[d];

/** Dates and durations in the user's language. */
export function useFormat() {
  const { locale } = useContext(LocaleContext);
  const dateTime = new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short" });
  return {
    dateTime: (iso: string) => dateTime.format(new Date(iso)),
    duration: formatDuration,
  };
}

/** `65` → `1:05`, `3725` → `1:02:05`. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n: number) => String(n).padStart(2, "0");
  return h > 0 ? `${h}:${pad(m)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`;
}
