import { describe, expect, it } from "vitest";
import { dayKey, moved, placedAt, rangeOf, stepped } from "./calendarDates";

describe("calendar dates", () => {
  it("shows whole weeks from Monday around a month", () => {
    const { days, from, to } = rangeOf("month", new Date(2026, 11, 15, 12));
    expect(dayKey(days[0])).toBe("2026-11-30"); // Monday before 1 December 2026 (a Tuesday)
    expect(dayKey(days[days.length - 1])).toBe("2027-01-03");
    expect(days.length % 7).toBe(0);
    expect(from.getTime()).toBe(days[0].getTime());
    expect(dayKey(to)).toBe("2027-01-04");
  });

  it("a week starts on Monday, a day is one day", () => {
    const week = rangeOf("week", new Date(2026, 11, 6, 12)); // a Sunday
    expect(week.days.map(dayKey)).toEqual([
      "2026-11-30", "2026-12-01", "2026-12-02", "2026-12-03", "2026-12-04", "2026-12-05", "2026-12-06",
    ]);
    expect(rangeOf("day", new Date(2026, 11, 6, 18)).days.map(dayKey)).toEqual(["2026-12-06"]);
    expect(dayKey(stepped("month", new Date(2026, 0, 31), 1))).toBe("2026-02-01");
    expect(dayKey(stepped("week", new Date(2026, 11, 6), -1))).toBe("2026-11-29");
  });

  it("moves the start and the due time together, keeping the time of day or the minutes", () => {
    const start = new Date(2026, 11, 7, 10, 30);
    const due = new Date(2026, 11, 7, 11, 0);
    const activity = { id: "a", start_at: start.toISOString(), due_at: due.toISOString() };
    expect(placedAt(activity)?.getTime()).toBe(start.getTime());
    const toDay = moved(activity, new Date(2026, 11, 9), null)!;
    expect(new Date(toDay.start_at).getTime()).toBe(new Date(2026, 11, 9, 10, 30).getTime());
    expect(new Date(toDay.due_at).getTime()).toBe(new Date(2026, 11, 9, 11, 0).getTime());
    const toHour = moved(activity, new Date(2026, 11, 7), 15)!;
    expect(new Date(toHour.start_at).getHours()).toBe(15);
    expect(new Date(toHour.start_at).getMinutes()).toBe(30);
    expect(moved(activity, new Date(2026, 11, 7), null)).toBeNull();
    const dueOnly = { id: "b", due_at: due.toISOString() };
    expect(Object.keys(moved(dueOnly, new Date(2026, 11, 8), null)!)).toEqual(["due_at"]);
  });
});
