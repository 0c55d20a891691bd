import { describe, expect, it } from "vitest";
import { checkPrice } from "./price";

describe("checkPrice", () => {
  it("keeps exact decimal text (a comma is a decimal point)", () => {
    expect(checkPrice(" 12,50 ", "EUR")).toEqual({ ok: true, text: "12.50" });
    expect(checkPrice("0.1", "EUR")).toEqual({ ok: true, text: "0.1" });
    expect(checkPrice(".5", "EUR")).toEqual({ ok: true, text: "0.5" });
    expect(checkPrice("1 500", "EUR")).toEqual({ ok: true, text: "1500" });
    expect(checkPrice("1500.000", "JPY")).toEqual({ ok: true, text: "1500.000" });
  });
  it("refuses what is not a price in the currency", () => {
    expect(checkPrice("", "EUR")).toMatchObject({ ok: false, key: "priceLists.error.required" });
    expect(checkPrice("-1", "EUR")).toMatchObject({ ok: false, key: "priceLists.error.number" });
    expect(checkPrice("1e3", "EUR")).toMatchObject({ ok: false, key: "priceLists.error.number" });
    expect(checkPrice("1.2.3", "EUR")).toMatchObject({ ok: false, key: "priceLists.error.number" });
    expect(checkPrice("1.005", "EUR")).toEqual({ ok: false, key: "priceLists.error.decimals", params: { digits: 2 } });
    expect(checkPrice("10.5", "JPY")).toEqual({ ok: false, key: "priceLists.error.decimals", params: { digits: 0 } });
  });
});
