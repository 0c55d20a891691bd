// "5 minutes ago" / "5 минут назад" with Intl.RelativeTimeFormat.

const formats = new Map<string, Intl.RelativeTimeFormat>();

const STEPS: Array<[Intl.RelativeTimeFormatUnit, number]> = [
  ["second", 60],
  ["minute", 60],
  ["hour", 24],
  ["day", 7],
  ["week", 4.345],
  ["month", 12],
  ["year", Number.POSITIVE_INFINITY],
];

/** How long ago (or until) `iso` is from `now`, in the largest unit that fits. */
export function relativeTime(iso: string, locale: string, now: number = Date.now()): string {
  const then = new Date(iso).getTime();
  if (!Number.isFinite(then)) return "";
  let format = formats.get(locale);
  if (!format) {
    format = new Intl.RelativeTimeFormat(locale, { numeric: "auto" });
    formats.set(locale, format);
  }
  let amount = (then - now) / 1000;
  if (Math.abs(amount) < 45) return format.format(0, "second");
  for (const [unit, size] of STEPS) {
    if (Math.abs(amount) < size) return format.format(Math.round(amount), unit);
    amount /= size;
  }
  return "";
}
