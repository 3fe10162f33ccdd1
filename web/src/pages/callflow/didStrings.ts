import type { Schemas } from "../../api/client";
import type { Strings } from "../../i18n";

type Key =
  | "title"
  | "claim"
  | "claimTitle"
  | "claimNumber"
  | "claimHint"
  | "type"
  | "country"
  | "goesTo"
  | "goesToHint"
  | "monthlyFee"
  | "setupFee"
  | "since"
  | "release"
  | "releaseQuestion"
  | "yesRelease"
  | "notRouted"

export const DID: Strings<Key> = {
  en: {
    title: "Phone numbers",
    claim: "Claim",
    claimTitle: "Claim a number",
    claimNumber: "Number (international format)",
    claimHint: "The number your provider set aside for you, e.g. +34 911 234 567.",
    type: "Type",
    country: "Country",
    goesTo: "Calls go to",
    goesToHint: "Choose none to stop answering calls to this number.",
    monthlyFee: "Monthly fee",
    setupFee: "Setup fee",
    since: "Yours since",
    release: "Release",
    releaseQuestion: "Release {name}? Calls to it stop reaching you, and another customer may claim it.",
    yesRelease: "Yes, release it",
    notRouted: "Calls to this number are not answered until you choose where they go.",
  },
  es: {
    title: "Números de teléfono",
    claim: "Contratar",
    claimTitle: "Contratar un número",
    claimNumber: "Número (formato internacional)",
    claimHint: "El número que tu proveedor te ha asignado, p. ej. +34 911 234 567.",
    type: "Tipo",
    country: "País",
    goesTo: "Las llamadas van a",
    goesToHint: "Elige ninguno para dejar de atender las llamadas a este número.",
    monthlyFee: "Cuota mensual",
    setupFee: "Cuota de alta",
    since: "Tuyo desde",
    release: "Liberar",
    releaseQuestion: "¿Liberar {name}? Sus llamadas dejarán de llegarte y otro cliente podrá contratarlo.",
    yesRelease: "Sí, liberarlo",
    notRouted: "Las llamadas a este número no se atienden hasta que elijas adónde van.",
  },
};

export const NUMBER_TYPES: Strings<Schemas["NumberType"]> = {
  en: {
    fixed_line: "Landline",
    mobile: "Mobile",
    fixed_line_or_mobile: "Landline or mobile",
    toll_free: "Toll-free",
    premium_rate: "Premium rate",
    shared_cost: "Shared cost",
    voip: "VoIP",
    personal_number: "Personal number",
    pager: "Pager",
    uan: "Universal access",
    voicemail: "Voicemail access",
    unknown: "Unknown",
  },
  es: {
    fixed_line: "Fijo",
    mobile: "Móvil",
    fixed_line_or_mobile: "Fijo o móvil",
    toll_free: "Gratuito",
    premium_rate: "Tarificación adicional",
    shared_cost: "Coste compartido",
    voip: "VoIP",
    personal_number: "Número personal",
    pager: "Buscapersonas",
    uan: "Acceso universal",
    voicemail: "Acceso a buzón",
    unknown: "Desconocido",
  },
};
