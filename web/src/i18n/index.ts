// The app's two languages. The choice is kept per user (keyed by the user's id) and applies
// at once: every component reads strings through `useT()`.

import { createContext } from "preact";
import { useContext } from "preact/hooks";
import { en, type Key } from "./en";
import { es } from "./es";

export type Locale = "en" | "es";
export const LOCALES: readonly Locale[] = ["en", "es"];
const tables: Record<Locale, Record<Key, string>> = { en, es };

export function translate(locale: Locale, key: Key): string {
  return tables[locale][key];
}

export const LocaleContext = createContext<{ locale: Locale; setLocale: (l: Locale) => void }>({
  locale: "en",
  setLocale: () => {},
});

export function useT(): (key: Key) => string {
  const { locale } = useContext(LocaleContext);
  return (key) => translate(locale, key);
}

/** The user's choice; before sign-in, the last choice made in this browser. */
export function storedLocale(userId: string | undefined): Locale {
  const saved = localStorage.getItem(`centralita.locale.${userId ?? "last"}`);
  if (saved === "en" || saved === "es") return saved;
  return navigator.language.startsWith("es") ? "es" : "en";
}

export function storeLocale(userId: string | undefined, locale: Locale) {
  if (userId) localStorage.setItem(`centralita.locale.${userId}`, locale);
  localStorage.setItem("centralita.locale.last", locale);
}

/** Strings of one area of the app, in both languages (kept next to its pages, so areas do
 * not all edit one table); the compiler checks both languages have every key. */
export interface Strings<K extends string> {
  en: Record<K, string>;
  es: Record<K, string>;
}

export function useStrings<K extends string>(strings: Strings<K>): (key: K) => string {
  const { locale } = useContext(LocaleContext);
  return (key) => strings[locale][key];
}
