// A price as typed: exact decimal text for the API, or why it cannot be one.
import { minorDigits, parseDecimal } from "../../views/lineTotals";

export type PriceCheck = { ok: true; text: string } | { ok: false; key: string; params?: Record<string, number> };

/** "12,5" → "12.5"; refuses negatives, words and more decimals than the currency has. */
export function checkPrice(typed: string, currency: string | null | undefined): PriceCheck {
  const text = typed.trim().replace(/\s/g, "").replace(",", ".");
  if (!text) return { ok: false, key: "priceLists.error.required" };
  const value = /^\d+(\.\d*)?$|^\.\d+$/.test(text) ? parseDecimal(text) : null;
  if (!value) return { ok: false, key: "priceLists.error.number" };
  const digits = minorDigits(currency);
  const decimals = text.includes(".") ? text.split(".")[1].replace(/0+$/, "").length : 0;
  if (decimals > digits) return { ok: false, key: "priceLists.error.decimals", params: { digits } };
  return { ok: true, text: text.startsWith(".") ? `0${text}` : text };
}
