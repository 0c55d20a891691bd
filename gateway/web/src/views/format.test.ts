import { describe, expect, it } from "vitest";
import { addMessages, makeTranslator } from "../i18n";
import leadMessages from "../sections/leads/messages";
import {
  describeTotal,
  formatAboutCount,
  roundCount,
  formatMoney,
  formatPercent,
  formatValue,
  fromCents,
  fromLocalInput,
  humanizeSeconds,
  isOverdue,
  listSummary,
  parseDay,
  toCents,
  toLocalInput,
  weightedCents,
} from "./format";

// Intl separates Russian thousands with a narrow no-break space; compare with plain spaces.
const spaces = (text: string) => text.replace(/[\u00a0\u202f]/g, " ");

describe("money", () => {
  it("formats a decimal string with its currency in the user's language", () => {
    expect(formatMoney("en", "1500.00", "EUR")).toBe("€1,500.00");
    expect(spaces(formatMoney("ru", "1500.5", "RUB"))).toBe("1 500,50 ₽");
    expect(formatMoney("en", "0", "USD")).toBe("$0.00");
  });

  it("keeps every cent of amounts too large for a float", () => {
    expect(formatMoney("en", "9999999999999999.99", "EUR")).toBe("€9,999,999,999,999,999.99");
  });

  it("shows an unknown or missing currency as a plain number", () => {
    expect(formatMoney("en", "12.3", null)).toBe("12.30");
    expect(formatMoney("en", "12.3", "XXXX")).toBe("12.30");
    expect(formatMoney("en", null, "EUR")).toBe("");
    expect(formatMoney("en", "", "EUR")).toBe("");
  });

  it("shortens big totals when asked", () => {
    expect(formatMoney("en", "1250000.00", "EUR", { compact: true })).toBe("€1.3M");
  });

  it("adds and weighs amounts in whole cents", () => {
    expect(toCents("1500.5")).toBe(150050n);
    expect(toCents("0.07")).toBe(7n);
    expect(toCents("")).toBe(0n);
    expect(fromCents(150050n)).toBe("1500.50");
    expect(fromCents(-5n)).toBe("-0.05");
    expect(fromCents(toCents("0.10") + toCents("0.20"))).toBe("0.30");
    expect(weightedCents(toCents("999.99"), 50)).toBe(50000n); // 499.995 → 500.00 (half up)
    expect(weightedCents(toCents("100.00"), null)).toBe(0n);
  });
});

describe("dates and times", () => {
  it("reads a calendar day as that day where the user is", () => {
    const day = parseDay("2031-03-15");
    expect(day?.getFullYear()).toBe(2031);
    expect(day?.getMonth()).toBe(2);
    expect(day?.getDate()).toBe(15);
    expect(parseDay("15.03.2031")).toBeNull();
    expect(makeTranslator("en").date("2031-03-15")).toBe("Mar 15, 2031");
    expect(makeTranslator("ru").date("2031-03-15")).toMatch(/^15 мар\.? 2031/);
  });

  it("turns a local date-time input into UTC and back", () => {
    const iso = fromLocalInput("2030-06-01T09:30");
    expect(iso).toMatch(/^2030-0[56]-\d\dT\d\d:\d\d:00Z$/);
    expect(toLocalInput(iso)).toBe("2030-06-01T09:30");
    expect(fromLocalInput("")).toBeNull();
    expect(toLocalInput("not a time")).toBe("");
  });

  it("says how long in the largest whole unit", () => {
    expect(humanizeSeconds("en", 0)).toBe("0 minutes");
    expect(humanizeSeconds("en", 61)).toBe("1 minute");
    expect(humanizeSeconds("en", 3 * 3600 + 5)).toBe("3 hours");
    expect(humanizeSeconds("en", 2 * 86400 + 3600)).toBe("2 days");
    expect(humanizeSeconds("ru", 5 * 86400)).toBe("5 дней");
  });

  it("knows what is overdue", () => {
    const now = new Date("2030-01-01T12:00:00Z");
    expect(isOverdue("2030-01-01T11:59:00Z", now)).toBe(true);
    expect(isOverdue("2030-01-01T12:01:00Z", now)).toBe(false);
    expect(isOverdue(null, now)).toBe(false);
  });
});

describe("values as the user reads them", () => {
  const t = makeTranslator("en");
  const field = (name: string, type: string) =>
    ({ name, type, label: name, required: false, read_only: false, options: null, filterable: false, sortable: false }) as never;

  it("formats money with the record's currency, booleans and lists", () => {
    expect(formatValue(t, "opportunities", field("amount", "money"), "2500.00", "me", { currency: "EUR" })).toBe("€2,500.00");
    expect(formatValue(t, "x", field("flag", "boolean"), true, "me")).toBe("Yes");
    expect(formatValue(t, "x", field("flag", "boolean"), false, "me")).toBe("No");
    expect(formatValue(t, "x", field("owner_id", "uuid"), "me", "me")).toBe("Me");
  });

  it("shows a list by its primary entry and how many more", () => {
    expect(listSummary([{ email: "a@x.io" }, { email: "b@x.io", is_primary: true }])).toBe("b@x.io +1");
    expect(listSummary([{ kind: "office", street: "1 Main St", city: "Riga" }])).toBe("1 Main St, Riga");
    expect(listSummary([])).toBe("");
  });
});

describe("percent", () => {
  it("shows a decimal string with a % sign, exactly", () => {
    expect(formatPercent("en", "20")).toBe("20%");
    expect(formatPercent("en", "12.50")).toBe("12.5%");
    expect(spaces(formatPercent("ru", "12.5"))).toBe("12,5 %");
    expect(formatPercent("en", null)).toBe("");
    const t = makeTranslator("en");
    expect(formatValue(t, "products", { name: "tax_rate", type: "percent", label: "Tax", required: false, read_only: false, options: null, filterable: false, sortable: false }, "7.5", "me")).toBe("7.5%");
  });
});

describe("a list's total", () => {
  addMessages(leadMessages);

  it("rounds an estimate to two significant digits", () => {
    expect(roundCount(1_234_567)).toBe(1_200_000);
    expect(roundCount(10_001)).toBe(10_000);
    expect(roundCount(98_765)).toBe(99_000);
    expect(roundCount(42)).toBe(42);
  });

  it("says an estimate in words and an exact total in digits", () => {
    const en = makeTranslator("en");
    const ru = makeTranslator("ru");
    expect(formatAboutCount("en", 1_234_567)).toBe("1.2 million");
    expect(describeTotal(en, "leads.count", { count: 1_234_567, estimate: true })).toBe(
      "About 1.2 million leads",
    );
    expect(describeTotal(en, "leads.count", { count: 12_345, estimate: true })).toBe(
      "About 12 thousand leads",
    );
    expect(describeTotal(en, "leads.count", { count: 9_876, estimate: false })).toBe("9,876 leads");
    expect(describeTotal(en, "leads.count", { count: 1, estimate: false })).toBe("1 lead");
    expect(describeTotal(ru, "leads.count", { count: 1_234_567, estimate: true })).toBe(
      "Около 1,2 миллиона лидов",
    );
  });
});
