// The calendar's dates, in the user's time zone: the days a month, week or day view
// shows (weeks start on Monday), where an activity sits, and where it goes when dropped.
import type { EntityRecord } from "../../core/meta";

export type Mode = "month" | "week" | "day";

/** YYYY-MM-DD of a local date. */
export function dayKey(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

function midnight(date: Date): Date {
  return new Date(date.getFullYear(), date.getMonth(), date.getDate());
}

function addDays(date: Date, days: number): Date {
  return new Date(date.getFullYear(), date.getMonth(), date.getDate() + days);
}

function monday(date: Date): Date {
  return addDays(midnight(date), -((date.getDay() + 6) % 7));
}

/** The days shown and the instants they span (``to`` exclusive). */
export function rangeOf(mode: Mode, anchor: Date): { from: Date; to: Date; days: Date[] } {
  let first: Date;
  let count: number;
  if (mode === "day") {
    first = midnight(anchor);
    count = 1;
  } else if (mode === "week") {
    first = monday(anchor);
    count = 7;
  } else {
    first = monday(new Date(anchor.getFullYear(), anchor.getMonth(), 1));
    const last = new Date(anchor.getFullYear(), anchor.getMonth() + 1, 0);
    count = Math.round((addDays(monday(last), 7).getTime() - first.getTime()) / 86_400_000);
  }
  const days = Array.from({ length: count }, (_, i) => addDays(first, i));
  return { from: days[0], to: addDays(days[days.length - 1], 1), days };
}

/** The anchor one view earlier (-1) or later (1). */
export function stepped(mode: Mode, anchor: Date, step: number): Date {
  if (mode === "month") return new Date(anchor.getFullYear(), anchor.getMonth() + step, 1, 12);
  return addDays(anchor, mode === "week" ? 7 * step : step);
}

function instant(value: unknown): Date | null {
  if (typeof value !== "string" || !value) return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** Where an activity sits: its start, else its due time. */
export function placedAt(activity: EntityRecord): Date | null {
  return instant(activity.start_at) ?? instant(activity.due_at);
}

/** The change that moves an activity to ``day`` (keeping its time of day) or to ``hour``
 * of ``day`` (keeping its minutes): start and due move by the same amount. Null when it
 * would not move. */
export function moved(activity: EntityRecord, day: Date, hour: number | null): Record<string, string> | null {
  const at = placedAt(activity);
  if (!at) return null;
  const target = new Date(day.getFullYear(), day.getMonth(), day.getDate(), hour ?? at.getHours(), at.getMinutes(), at.getSeconds());
  const shift = target.getTime() - at.getTime();
  if (shift === 0) return null;
  const change: Record<string, string> = {};
  for (const field of ["start_at", "due_at"]) {
    const value = instant(activity[field]);
    if (value) change[field] = new Date(value.getTime() + shift).toISOString();
  }
  return change;
}
