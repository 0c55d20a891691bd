import { describe, expect, it } from "vitest";
import { cellKey, gapOf, parseAmount, periodsOf, plannersOf, plansByCell, total, type Plan } from "./forecast";

const plan = (over: Partial<Plan>): Plan => ({
  id: "p",
  owner_id: null,
  team_id: null,
  period_kind: "month",
  period_start: "2026-03-01",
  period_end: "2026-03-31",
  currency: "EUR",
  plan_amount: "1000.00",
  fact_amount: "0.00",
  pipeline_amount: "0.00",
  weighted_amount: "0.00",
  version: 1,
  ...over,
});

describe("the forecast grid", () => {
  it("has twelve month columns or four quarter columns", () => {
    expect(periodsOf(2026, "month")).toHaveLength(12);
    expect(periodsOf(2026, "month")[11]).toBe("2026-12-01");
    expect(periodsOf(2026, "quarter")).toEqual(["2026-01-01", "2026-04-01", "2026-07-01", "2026-10-01"]);
  });

  it("puts a user's plan and a team's plan in their own rows", () => {
    const cells = plansByCell([
      plan({ id: "mine", owner_id: "u1", team_id: "t1" }),
      plan({ id: "team", team_id: "t1", period_start: "2026-04-01" }),
    ]);
    expect(cells.get(cellKey({ kind: "user", id: "u1" }, "2026-03-01"))?.id).toBe("mine");
    expect(cells.get(cellKey({ kind: "team", id: "t1" }, "2026-04-01"))?.id).toBe("team");
    expect(cells.get(cellKey({ kind: "team", id: "t1" }, "2026-03-01"))).toBeUndefined();
  });

  it("the gap is the plan less what was won, exact to the cent", () => {
    expect(gapOf({ plan_amount: "1000.10", fact_amount: "250.05" })).toBe("750.05");
    expect(gapOf({ plan_amount: "100", fact_amount: "120.5" })).toBe("-20.50");
    expect(total(["0.10", "0.20", "1000"])).toBe("1000.30");
  });

  it("reads amounts as people type them", () => {
    expect(parseAmount("1 500,50")).toBe("1500.50");
    expect(parseAmount("1,500.5")).toBe("1500.5");
    expect(parseAmount("  ")).toBeNull();
    expect(parseAmount("12abc")).toBeUndefined();
    expect(parseAmount("-5")).toBeUndefined();
  });

  it("rows: teams first, then users, anyone with a plan included once", () => {
    const rows = plannersOf(
      [{ kind: "user", id: "u1", name: "Ann" }],
      [{ kind: "team", id: "t1", name: "North" }],
      [plan({ owner_id: "u2" }), plan({ owner_id: "u1" }), plan({ team_id: "t2" })],
    );
    expect(rows.map((r) => `${r.kind}:${r.id}`)).toEqual(["team:t1", "team:t2", "user:u1", "user:u2"]);
  });
});
