import { describe, expect, it } from "vitest";
import { lineAmounts, orderTotals, parseDecimal, unitsText } from "./lineTotals";

describe("order line totals", () => {
  it("parses decimals exactly", () => {
    expect(parseDecimal("12.50")).toEqual({ units: 1250n, scale: 2 });
    expect(parseDecimal("3")).toEqual({ units: 3n, scale: 0 });
    expect(parseDecimal("abc")).toBeNull();
    expect(parseDecimal("")).toBeNull();
  });

  it("rounds each step half up like the server", () => {
    // 3 × 33.335 = 100.005 → 100.01; 10 % → 10.001 → 10.00; net 90.01; 20 % → 18.002 → 18.00
    const amounts = lineAmounts({ quantity: "3", price: "33.335", discount: "10", tax_rate: "20" }, "EUR");
    expect(amounts).not.toBeNull();
    expect(unitsText(amounts!.amount, 2)).toBe("100.01");
    expect(unitsText(amounts!.discount, 2)).toBe("10.00");
    expect(unitsText(amounts!.net, 2)).toBe("90.01");
    expect(unitsText(amounts!.tax, 2)).toBe("18.00");
    expect(unitsText(amounts!.total, 2)).toBe("108.01");
    // 0.5 of a cent goes up
    expect(unitsText(lineAmounts({ quantity: "1", price: "10.00", discount: "0.05" }, "EUR")!.discount, 2)).toBe("0.01");
  });

  it("sums the rounded lines into the order's totals", () => {
    const totals = orderTotals(
      [
        { quantity: "2", price: "100.00", discount: "10", tax_rate: "20" },
        { quantity: "1.5", price: "50.00", tax_rate: "0" },
      ],
      "EUR",
    );
    expect(totals).toEqual({ subtotal: "275.00", discount_total: "20.00", tax_total: "36.00", total: "291.00" });
  });

  it("uses whole units for currencies without cents, and waits for complete lines", () => {
    expect(orderTotals([{ quantity: "3", price: "333.5" }], "JPY")).toEqual({ subtotal: "1001", discount_total: "0", tax_total: "0", total: "1001" });
    expect(orderTotals([{ quantity: "", price: "1" }], "EUR")).toBeNull();
  });
});
