import { describe, expect, it } from "vitest";
import { dayFromToday, lastDay, latestExpiry } from "./ApiTokens";

describe("API token dates", () => {
  it("counts days from today where the user is", () => {
    const today = new Date(2026, 11, 30, 23, 30); // 30 December, late in the evening
    expect(dayFromToday(1, today)).toBe("2026-12-31");
    expect(dayFromToday(2, today)).toBe("2027-01-01");
  });

  it("offers at most a year, as the server takes it", () => {
    expect(latestExpiry(new Date(2026, 11, 7))).toBe("2027-12-07");
    expect(latestExpiry(new Date(2028, 1, 29))).toBe("2029-02-28");
  });

  it("shows the last day a token works, not the moment after it", () => {
    expect(lastDay("2027-03-02T00:00:00Z")).toBe("2027-03-01");
    expect(lastDay("2027-03-02T00:00:00+00:00")).toBe("2027-03-01");
  });
});
