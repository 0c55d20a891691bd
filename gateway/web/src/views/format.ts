import type { FieldMeta } from "../core/meta";
import type { Translator } from "../i18n";

// -- money: decimal strings ("1500.00") with an ISO 4217 currency

const moneyFormats = new Map<string, Intl.NumberFormat>();

function moneyFormat(locale: string, currency: string | null, compact: boolean): Intl.NumberFormat {
  const k = `${locale}:${currency ?? ""}:${compact}`;
  let format = moneyFormats.get(k);
  if (!format) {
    const options: Intl.NumberFormatOptions = compact
      ? { notation: "compact", maximumFractionDigits: 1 }
      : { minimumFractionDigits: 2, maximumFractionDigits: 2 };
    try {
      format = new Intl.NumberFormat(locale, currency ? { ...options, style: "currency", currency } : options);
    } catch {
      format = new Intl.NumberFormat(locale, options); // not a currency Intl knows
    }
    moneyFormats.set(k, format);
  }
  return format;
}

/** "1500.00" + "EUR" → "€1,500.00" (en) or "1 500,00 €" (ru); exact, no float rounding. */
export function formatMoney(
  locale: string,
  amount: string | number | null | undefined,
  currency?: string | null,
  options: { compact?: boolean } = {},
): string {
  if (amount === null || amount === undefined || amount === "") return "";
  const code = currency && /^[A-Za-z]{3}$/.test(currency) ? currency.toUpperCase() : null;
  const format = moneyFormat(locale, code, Boolean(options.compact));
  // Intl formats a decimal string exactly (no trip through a binary float).
  const text = format.format(amount as unknown as number);
  if (code && format.resolvedOptions().style !== "currency") return `${text} ${code}`;
  return text;
}

/** A decimal string as a whole number of cents: "1500.5" → 150050n. */
export function toCents(amount: string | null | undefined): bigint {
  if (!amount) return 0n;
  const match = /^(-)?(\d*)(?:\.(\d{0,2})\d*)?$/.exec(amount.trim());
  if (!match) return 0n;
  const cents = BigInt(match[2] || "0") * 100n + BigInt((match[3] ?? "").padEnd(2, "0") || "0");
  return match[1] ? -cents : cents;
}

/** Cents back to the API's decimal string: 150050n → "1500.50". */
export function fromCents(cents: bigint): string {
  const negative = cents < 0n;
  const abs = negative ? -cents : cents;
  const whole = abs / 100n;
  const part = (abs % 100n).toString().padStart(2, "0");
  return `${negative ? "-" : ""}${whole}.${part}`;
}

/** Amount × probability / 100, rounded half up to the cent (as the server weighs deals). */
export function weightedCents(cents: bigint, probability: number | null | undefined): bigint {
  const p = BigInt(Math.max(0, Math.min(100, Math.round(probability ?? 0))));
  const product = cents * p;
  return (product + 50n) / 100n;
}

/** A percentage as a decimal string ("20", "12.5") → "20 %" / "12,5 %", exact. */
export function formatPercent(locale: string, value: unknown): string {
  if (value === null || value === undefined || value === "") return "";
  const text = String(value).trim();
  if (!/^-?\d+(\.\d+)?$/.test(text)) return `${text} %`;
  const trimmed = text.includes(".") ? text.replace(/0+$/, "").replace(/\.$/, "") : text;
  const decimals = trimmed.includes(".") ? trimmed.split(".")[1].length : 0;
  const format = new Intl.NumberFormat(locale, { minimumFractionDigits: decimals, maximumFractionDigits: Math.min(20, decimals) });
  return `${format.format(trimmed as unknown as number)}${locale.startsWith("en") ? "" : "\u00a0"}%`;
}

// -- dates and times

/** "2026-05-01" as the local calendar day (not UTC midnight, which is the day before west of Greenwich). */
export function parseDay(day: string): Date | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!match) return null;
  return new Date(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
}

/** An ISO time → the value of an `<input type="datetime-local">` in the user's zone. */
export function toLocalInput(iso: string | null | undefined): string {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** An `<input type="datetime-local">` value (the user's zone) → ISO 8601 UTC with Z. */
export function fromLocalInput(value: string): string | null {
  if (!value) return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

const unitFormats = new Map<string, Intl.NumberFormat>();

/** A duration the way people say it: "3 days", "5 hours", "12 minutes" (the largest whole unit). */
export function humanizeSeconds(locale: string, seconds: number): string {
  const units: Array<[Intl.NumberFormatOptions["unit"], number]> = [
    ["day", 86400],
    ["hour", 3600],
    ["minute", 60],
  ];
  const s = Math.max(0, Math.floor(seconds));
  let [unit, size] = units[units.length - 1];
  for (const [u, n] of units) {
    if (s >= n) {
      [unit, size] = [u, n];
      break;
    }
  }
  const value = Math.floor(s / size);
  const k = `${locale}:${unit}`;
  let format = unitFormats.get(k);
  if (!format) {
    format = new Intl.NumberFormat(locale, { style: "unit", unit, unitDisplay: "long" });
    unitFormats.set(k, format);
  }
  return format.format(value);
}

/** Whether a due time has passed. */
export function isOverdue(due: string | null | undefined, now: Date = new Date()): boolean {
  if (!due) return false;
  const time = new Date(due).getTime();
  return !Number.isNaN(time) && time < now.getTime();
}

// -- one value as the user reads it

/** A value as text: enumerations translated, dates, numbers and money in their locale. */
export function formatValue(
  t: Translator,
  entity: string,
  field: FieldMeta | undefined,
  value: unknown,
  me: string,
  record?: Record<string, unknown> | null,
): string {
  if (value === null || value === undefined || value === "") return "";
  switch (field?.type) {
    case "enum":
      return t.option(entity, field.name, String(value));
    case "datetime":
      return t.dateTime(String(value));
    case "date":
      return t.date(String(value));
    case "integer":
      return typeof value === "number" ? t.number(value) : String(value);
    case "money":
      return formatMoney(t.locale, String(value), typeof record?.currency === "string" ? record.currency : null);
    case "percent":
      return formatPercent(t.locale, value);
    case "boolean":
      return value === true ? t("value.yes") : value === false ? t("value.no") : String(value);
    case "list":
      return Array.isArray(value) ? listSummary(value) : "";
    case "uuid":
      if (value === me && (field.name === "owner_id" || field.name === "created_by")) return t("owner.me");
      return String(value).slice(0, 8);
    default:
      return String(value);
  }
}

// -- how many records a list has

/** A list's total as the server gives it: exact, or estimated (above 10,000). */
export interface ListTotal {
  count: number;
  estimate: boolean;
}

/** An estimate to two significant digits, as it is said: 1,234,567 → 1,200,000. */
export function roundCount(value: number): number {
  if (value < 100) return Math.round(value);
  const scale = 10 ** (Math.floor(Math.log10(value)) - 1);
  return Math.round(value / scale) * scale;
}

const compactCounts = new Map<string, Intl.NumberFormat>();

/** An estimated count in words: 1,234,567 → "1.2 million" (en), "1,2 миллиона" (ru). */
export function formatAboutCount(locale: string, value: number): string {
  let format = compactCounts.get(locale);
  if (!format) {
    format = new Intl.NumberFormat(locale, {
      notation: "compact",
      compactDisplay: "long",
      maximumSignificantDigits: 2,
    });
    compactCounts.set(locale, format);
  }
  return format.format(roundCount(value));
}

/** "1,234 leads", or "About 1.2 million leads" when the total is an estimate. */
export function describeTotal(t: Translator, countKey: string, total: ListTotal): string {
  if (!total.estimate) return t.plural(countKey, total.count);
  const rounded = roundCount(total.count);
  return t("list.about", {
    count: t.plural(countKey, rounded, { count: formatAboutCount(t.locale, rounded) }),
  });
}

/** The primary (or first) entry of an emails/phones/addresses list, as one line. */
export function listSummary(items: unknown[]): string {
  const entries = items.filter((i): i is Record<string, unknown> => !!i && typeof i === "object");
  if (!entries.length) return "";
  const main = entries.find((e) => e.is_primary) ?? entries[0];
  const text =
    typeof main.email === "string"
      ? main.email
      : typeof main.phone === "string"
        ? main.phone
        : ["street", "city", "region", "postcode", "country"]
            .map((k) => main[k])
            .filter((v) => typeof v === "string" && v)
            .join(", ");
  return entries.length > 1 ? `${text} +${entries.length - 1}` : String(text);
}
