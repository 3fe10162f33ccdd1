// The schedule editor's strings and the text forms of schedules (for read-only rules and the
// list's summaries), in both languages.

import type { Strings } from "../../i18n";
import { DAYS, formatWeekdays, type EditorState, type TimeRule, intervalMinutes, formatClock } from "./model";

export type ScheduleKey =
  | "schedule"
  | "timeZone"
  | "searchTimeZone"
  | "weeklyHours"
  | "weeklyHint"
  | "closed"
  | "opens"
  | "closes"
  | "addHours"
  | "remove"
  | "copyMonday"
  | "issueMissing"
  | "issueOrder"
  | "issueOverlap"
  | "noRules"
  | "badTimeZone"
  | "holidays"
  | "holidaysHint"
  | "holidayFrom"
  | "holidayTo"
  | "addHoliday"
  | "noHolidays"
  | "holidayMissing"
  | "holidayOrder"
  | "holidayDuplicate"
  | "holiday"
  | "keptRules"
  | "keptRulesHint"
  | "keptExceptions"
  | "keptExceptionsHint"
  | "rule"
  | "exception"
  | "partWeekdays"
  | "partTimes"
  | "partDates"
  | "partMonthDays"
  | "partMonths"
  | "always"
  | "oneHoliday"
  | "manyHolidays"
  | "otherRules"
  | "oneOtherRule"
  | "closedAlways"
  | (typeof DAYS)[number]
  | `${(typeof DAYS)[number]}Short`;

export const SCHEDULE_STRINGS: Strings<ScheduleKey> = {
  en: {
    schedule: "Schedule",
    timeZone: "Time zone",
    searchTimeZone: "Search time zones",
    weeklyHours: "Opening hours",
    weeklyHint: "During these hours (on the time zone's clock) calls go to the “open” destination. An end of 00:00 means midnight.",
    closed: "Closed",
    opens: "Opens",
    closes: "Closes",
    addHours: "Add hours",
    remove: "Remove",
    copyMonday: "Copy Monday's hours to Tuesday–Friday",
    issueMissing: "Enter both times.",
    issueOrder: "It ends before it starts (an end of 00:00 is midnight).",
    issueOverlap: "It overlaps another interval of the same day.",
    noRules: "Add at least one open interval.",
    badTimeZone: "Choose a time zone from the list.",
    holidays: "Holidays and closures",
    holidaysHint: "On these dates the schedule never matches: calls go to the “closed” destination all day.",
    holidayFrom: "Date (or first day)",
    holidayTo: "Last day (for a range; optional)",
    addHoliday: "Add holiday",
    noHolidays: "No holidays.",
    holidayMissing: "Enter a date.",
    holidayOrder: "The last day is before the first.",
    holidayDuplicate: "That holiday is already in the list.",
    holiday: "holiday",
    keptRules: "Other rules",
    keptRulesHint: "These rules cannot be edited here; saving keeps them as they are.",
    keptExceptions: "Other exceptions",
    keptExceptionsHint: "When one of these matches, the schedule does not; saving keeps them as they are.",
    rule: "rule",
    exception: "exception",
    partWeekdays: "Days",
    partTimes: "Hours",
    partDates: "Dates",
    partMonthDays: "Days of the month",
    partMonths: "Months",
    always: "Always",
    oneHoliday: "1 holiday",
    manyHolidays: "{n} holidays",
    otherRules: "{n} other rules",
    oneOtherRule: "1 other rule",
    closedAlways: "Never open",
    mon: "Monday",
    tue: "Tuesday",
    wed: "Wednesday",
    thu: "Thursday",
    fri: "Friday",
    sat: "Saturday",
    sun: "Sunday",
    monShort: "Mon",
    tueShort: "Tue",
    wedShort: "Wed",
    thuShort: "Thu",
    friShort: "Fri",
    satShort: "Sat",
    sunShort: "Sun",
  },
  es: {
    schedule: "Horario",
    timeZone: "Zona horaria",
    searchTimeZone: "Buscar zona horaria",
    weeklyHours: "Horario de apertura",
    weeklyHint: "En estas horas (según el reloj de la zona horaria) las llamadas van al destino «abierto». Un final de 00:00 es medianoche.",
    closed: "Cerrado",
    opens: "Abre",
    closes: "Cierra",
    addHours: "Añadir horas",
    remove: "Quitar",
    copyMonday: "Copiar el horario del lunes de martes a viernes",
    issueMissing: "Indique las dos horas.",
    issueOrder: "Termina antes de empezar (un final de 00:00 es medianoche).",
    issueOverlap: "Se solapa con otro intervalo del mismo día.",
    noRules: "Añada al menos un intervalo de apertura.",
    badTimeZone: "Elija una zona horaria de la lista.",
    holidays: "Festivos y cierres",
    holidaysHint: "En estas fechas el horario nunca coincide: las llamadas van al destino «cerrado» todo el día.",
    holidayFrom: "Fecha (o primer día)",
    holidayTo: "Último día (si es un periodo; opcional)",
    addHoliday: "Añadir festivo",
    noHolidays: "Sin festivos.",
    holidayMissing: "Indique una fecha.",
    holidayOrder: "El último día es anterior al primero.",
    holidayDuplicate: "Ese festivo ya está en la lista.",
    holiday: "festivo",
    keptRules: "Otras reglas",
    keptRulesHint: "Estas reglas no se pueden editar aquí; al guardar se conservan tal cual.",
    keptExceptions: "Otras excepciones",
    keptExceptionsHint: "Cuando una de estas coincide, el horario no; al guardar se conservan tal cual.",
    rule: "regla",
    exception: "excepción",
    partWeekdays: "Días",
    partTimes: "Horas",
    partDates: "Fechas",
    partMonthDays: "Días del mes",
    partMonths: "Meses",
    always: "Siempre",
    oneHoliday: "1 festivo",
    manyHolidays: "{n} festivos",
    otherRules: "{n} reglas más",
    oneOtherRule: "1 regla más",
    closedAlways: "Nunca abierto",
    mon: "Lunes",
    tue: "Martes",
    wed: "Miércoles",
    thu: "Jueves",
    fri: "Viernes",
    sat: "Sábado",
    sun: "Domingo",
    monShort: "lun",
    tueShort: "mar",
    wedShort: "mié",
    thuShort: "jue",
    friShort: "vie",
    satShort: "sáb",
    sunShort: "dom",
  },
};

type S = (key: ScheduleKey) => string;

/** A rule exactly as stored, part by part, broadest first (`Months: jul-aug · Days: mon-fri · Hours: 08:00-15:00`). */
export function describeRule(rule: TimeRule, s: S): string {
  const parts: [ScheduleKey, string[] | undefined][] = [
    ["partDates", rule.dates],
    ["partMonths", rule.months],
    ["partMonthDays", rule.month_days],
    ["partWeekdays", rule.weekdays],
    ["partTimes", rule.times],
  ];
  const shown = parts.filter(([, items]) => items && items.length).map(([k, items]) => `${s(k)}: ${items!.join(", ")}`);
  return shown.length ? shown.join(" · ") : s("always");
}

const clock = (m: number) => formatClock(m);

/** One line for the list: `Mon–Fri 09:00–17:00; Sat 10:00–13:00 · 2 holidays`. */
export function summarize(state: EditorState, s: S): string {
  const groups: { days: number[]; hours: string }[] = [];
  state.days.forEach((day, d) => {
    if (!day.length) return;
    const hours = day
      .map(intervalMinutes)
      .filter((r): r is [number, number] => r !== null)
      .sort((a, b) => a[0] - b[0])
      .map(([a, b]) => `${clock(a)}–${clock(b)}`)
      .join(", ");
    const g = groups.find((x) => x.hours === hours);
    if (g) g.days.push(d);
    else groups.push({ days: [d], hours });
  });
  const dayName = (code: string) => s(`${code as (typeof DAYS)[number]}Short`);
  const week = groups.map((g) => {
    const days = formatWeekdays(g.days)
      .map((r) => r.split("-").map(dayName).join("–"))
      .join(", ");
    return `${days} ${g.hours}`;
  });
  const out = [week.length ? week.join("; ") : state.keptRules.length ? "" : s("closedAlways")];
  const kept = state.keptRules.length;
  if (kept) out.push(kept === 1 ? s("oneOtherRule") : s("otherRules").replace("{n}", String(kept)));
  const n = state.holidays.length;
  if (n) out.push(n === 1 ? s("oneHoliday") : s("manyHolidays").replace("{n}", String(n)));
  return out.filter(Boolean).join(" · ");
}
