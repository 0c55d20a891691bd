// Message catalogues and locale-aware formatting. Every string the user reads comes
// from a catalogue (core: en.ts / ru.ts; each section ships its own messages.ts).
import { createContext, useContext, useMemo } from "react";
import en from "./en";
import ru from "./ru";

export type Messages = Record<string, string>;
export type LocaleMessages = { en: Messages; ru: Messages };

export const LOCALES = ["en", "ru"] as const;
export type Locale = (typeof LOCALES)[number];

const catalogues: Record<Locale, Messages> = { en: { ...en }, ru: { ...ru } };

/** Sections and tabs add their own messages when their module is loaded. */
export function addMessages(messages: LocaleMessages): void {
  for (const locale of LOCALES) Object.assign(catalogues[locale], messages[locale]);
}

export function isLocale(value: unknown): value is Locale {
  return typeof value === "string" && (LOCALES as readonly string[]).includes(value);
}

/** The browser's language when we know nobody's preference yet. */
export function guessLocale(): Locale {
  const remembered = localStorage.getItem("osprey.locale");
  if (isLocale(remembered)) return remembered;
  return navigator.language?.toLowerCase().startsWith("ru") ? "ru" : "en";
}

export type Params = Record<string, string | number>;

export interface Translator {
  locale: Locale;
  (key: string, params?: Params): string;
  /** The plural form for `count` (keys `<key>.one`, `.few`, `.many`, `.other`). */
  plural(key: string, count: number, params?: Params): string;
  /** A field's label, falling back to the server's (English) label. */
  field(entity: string, name: string, fallback?: string): string;
  /** An enumeration value's label. */
  option(entity: string, fieldName: string, value: string): string;
  has(key: string): boolean;
  dateTime(iso: string | null | undefined): string;
  date(iso: string | null | undefined): string;
  number(value: number | null | undefined): string;
}

const dateTimeFormats = new Map<string, Intl.DateTimeFormat>();
const numberFormats = new Map<string, Intl.NumberFormat>();

function cachedDateFormat(locale: string, style: "dateTime" | "date"): Intl.DateTimeFormat {
  const key = `${locale}:${style}`;
  let format = dateTimeFormats.get(key);
  if (!format) {
    format = new Intl.DateTimeFormat(
      locale,
      style === "date" ? { dateStyle: "medium" } : { dateStyle: "medium", timeStyle: "short" },
    );
    dateTimeFormats.set(key, format);
  }
  return format;
}

/** "2026-05-01" is that calendar day where the user is (not UTC midnight, a day early in the west). */
function calendarDay(iso: string): Date {
  const day = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
  return day ? new Date(Number(day[1]), Number(day[2]) - 1, Number(day[3])) : new Date(iso);
}

function interpolate(text: string, params?: Params): string {
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (match, name: string) =>
    name in params ? String(params[name]) : match,
  );
}

export function makeTranslator(locale: Locale): Translator {
  const lookup = (key: string): string | undefined => catalogues[locale][key] ?? catalogues.en[key];
  const t = ((key: string, params?: Params) => interpolate(lookup(key) ?? key, params)) as Translator;
  t.locale = locale;
  t.has = (key) => lookup(key) !== undefined;
  t.plural = (key, count, params) => {
    const form = new Intl.PluralRules(locale).select(count);
    const text = lookup(`${key}.${form}`) ?? lookup(`${key}.other`) ?? key;
    return interpolate(text, { count: t.number(count), ...params });
  };
  t.field = (entity, name, fallback) => lookup(`entity.${entity}.field.${name}`) ?? fallback ?? name;
  t.option = (entity, fieldName, value) => lookup(`entity.${entity}.${fieldName}.${value}`) ?? value;
  t.dateTime = (iso) => (iso ? cachedDateFormat(locale, "dateTime").format(new Date(iso)) : "");
  t.date = (iso) => (iso ? cachedDateFormat(locale, "date").format(calendarDay(iso)) : "");
  t.number = (value) => {
    if (value === null || value === undefined) return "";
    let format = numberFormats.get(locale);
    if (!format) {
      format = new Intl.NumberFormat(locale);
      numberFormats.set(locale, format);
    }
    return format.format(value);
  };
  return t;
}

/** The catalogues as they stand (for the key-parity test). */
export function catalogueKeys(locale: Locale): string[] {
  return Object.keys(catalogues[locale]).sort();
}

const I18nContext = createContext<Translator>(makeTranslator("en"));

export function I18nProvider({ locale, children }: { locale: Locale; children: React.ReactNode }) {
  const t = useMemo(() => makeTranslator(locale), [locale]);
  return <I18nContext.Provider value={t}>{children}</I18nContext.Provider>;
}

export function useT(): Translator {
  return useContext(I18nContext);
}
