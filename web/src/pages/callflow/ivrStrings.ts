import type { Strings } from "../../i18n";

type Key =
  | "title"
  | "newMenu"
  | "greeting"
  | "greetingText"
  | "greetingTextHint"
  | "greetingReplaces"
  | "language"
  | "recording"
  | "recordingInfo"
  | "spoken"
  | "options"
  | "timeoutSeconds"
  | "timeoutHint"
  | "retries"
  | "retriesHint"
  | "directDial"
  | "timeoutDestination"
  | "invalidDestination"
  | "deleteQuestion"
  | "uploadAfterCreate";

export const IVR: Strings<Key> = {
  en: {
    title: "IVR menus",
    newMenu: "New IVR menu",
    greeting: "Greeting",
    greetingText: "Greeting text (spoken)",
    greetingTextHint: "What callers hear first, read out by the switch. Upload a recording on the menu's page to use your own voice.",
    greetingReplaces: "The menu plays its recording. Type a text here only to replace the recording with spoken text.",
    language: "Spoken language",
    recording: "Recording",
    recordingInfo: "{type}, {size} KB, uploaded {when}",
    spoken: "Spoken text",
    options: "Options",
    timeoutSeconds: "Wait for a key (seconds)",
    timeoutHint: "After the greeting (1-60, default 5).",
    retries: "Replays after no key or a wrong key",
    retriesHint: "0-9, default 2; then the call goes to the destinations below.",
    directDial: "Callers may dial an internal number (an extension…) instead of a key",
    timeoutDestination: "When no key is pressed",
    invalidDestination: "When a wrong key is pressed",
    deleteQuestion: "Delete the IVR menu {name} and its recording?",
    uploadAfterCreate: "After creating the menu you can upload a recorded greeting.",
  },
  es: {
    title: "Menús IVR",
    newMenu: "Nuevo menú IVR",
    greeting: "Saludo",
    greetingText: "Texto del saludo (hablado)",
    greetingTextHint: "Lo primero que oye quien llama, leído por la centralita. Sube una grabación en la página del menú para usar tu propia voz.",
    greetingReplaces: "El menú reproduce su grabación. Escribe un texto aquí solo para sustituirla por texto hablado.",
    language: "Idioma hablado",
    recording: "Grabación",
    recordingInfo: "{type}, {size} KB, subida el {when}",
    spoken: "Texto hablado",
    options: "Opciones",
    timeoutSeconds: "Espera de tecla (segundos)",
    timeoutHint: "Tras el saludo (1-60; 5 por defecto).",
    retries: "Repeticiones sin tecla o con tecla errónea",
    retriesHint: "0-9; 2 por defecto. Después la llamada va a los destinos de abajo.",
    directDial: "Quien llama puede marcar un número interno (una extensión…) en lugar de una tecla",
    timeoutDestination: "Si no se pulsa ninguna tecla",
    invalidDestination: "Si se pulsa una tecla errónea",
    deleteQuestion: "¿Eliminar el menú IVR {name} y su grabación?",
    uploadAfterCreate: "Tras crear el menú podrás subir un saludo grabado.",
  },
};

/** The prompt languages the switches speak (the API's list). */
export const LANGUAGES = [
  { value: "en", label: "English" },
  { value: "en-us", label: "English (US)" },
  { value: "en-gb", label: "English (UK)" },
  { value: "es", label: "Español" },
  { value: "es-mx", label: "Español (México)" },
  { value: "fr", label: "Français" },
  { value: "de", label: "Deutsch" },
  { value: "pt-br", label: "Português (Brasil)" },
] as const;
