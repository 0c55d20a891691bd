import { describe, expect, it } from "vitest";
import {
  EMPTY_BUILDER,
  bucketEnd,
  buildSpec,
  builderOf,
  chartData,
  drillParams,
  drillable,
  dropBox,
  filtersFromParams,
  moveBox,
  placeFree,
  type ReportSpec,
} from "./spec";

const me = { id: "u-1", team_id: "t-1" };

describe("buildSpec", () => {
  it("makes the report the builder's form describes", () => {
    const { spec, problems } = buildSpec({
      entity: "opportunities",
      groups: [{ field: "close_date", bucket: "quarter" }, { field: "status" }],
      aggregates: [{ fn: "count" }, { fn: "sum", field: "amount" }, { fn: "count" }],
      filters: [{ field: "status", value: " open,won " }, { field: "", value: "x" }, { field: "amount", value: "" }],
      chart: "line",
    });
    expect(problems).toEqual([]);
    expect(spec).toEqual({
      entity: "opportunities",
      group_by: [{ field: "close_date", bucket: "quarter" }, { field: "status" }],
      aggregates: [{ fn: "count" }, { fn: "sum", field: "amount" }],
      filters: { status: "open,won" },
      chart: "line",
    });
  });

  it("buckets a date by month unless told, and never a text field", () => {
    const { spec } = buildSpec({ ...EMPTY_BUILDER, groups: [{ field: "created_at" }, { field: "source", bucket: "week" }] });
    expect(spec.group_by).toEqual([{ field: "created_at", bucket: "month" }, { field: "source" }]);
  });

  it("names what is wrong: a sum of text, a chart with no grouping, a third group, an unknown field", () => {
    const { problems } = buildSpec({
      entity: "leads",
      groups: [],
      aggregates: [{ fn: "sum", field: "source" }, { fn: "max", field: "stage" }],
      filters: [{ field: "nonsense", value: "1" }],
      chart: "pie",
    });
    expect(problems.map((p) => p.field)).toEqual(["aggregates[0]", "aggregates[1]", "filters.nonsense", "group_by"]);
    const three = buildSpec({ ...EMPTY_BUILDER, groups: [{ field: "source" }, { field: "stage" }, { field: "region" }] });
    expect(three.problems).toContainEqual({ field: "group_by", key: "reports.problem.twoGroups" });
  });

  it("round-trips a saved spec through the form", () => {
    const saved: ReportSpec = {
      entity: "leads",
      group_by: ["created_at:week", "source"],
      aggregates: [{ fn: "avg", field: "score" }],
      filters: { stage: "qualification" },
      chart: "bar",
    };
    const { spec } = buildSpec(builderOf(saved));
    expect(spec.group_by).toEqual([{ field: "created_at", bucket: "week" }, { field: "source" }]);
    expect(spec.filters).toEqual({ stage: "qualification" });
    expect(spec.aggregates).toEqual([{ fn: "avg", field: "score" }]);
  });
});

describe("filters of the address", () => {
  it("takes the list's f.* filters, puts the user's ids for me and my_team, sets aside the rest", () => {
    const params = new URLSearchParams("f.owner_id=me&f.team_id=my_team&f.source=web,fair&f.email=x@y&q=acme&sort=-created_at");
    expect(filtersFromParams(params, "leads", me)).toEqual({
      filters: { owner_id: "u-1", team_id: "t-1", source: "web,fair" },
      ignored: ["email", "q"],
    });
  });
});

describe("drill-down", () => {
  const spec: ReportSpec = {
    entity: "leads",
    group_by: [{ field: "source" }, { field: "created_at", bucket: "month" }],
    filters: { stage: "qualification,handoff" },
  };

  it("a bar is the list filtered by the report's filters and the bar's values", () => {
    const params = drillParams(spec, { source: "web", created_at_month: "2026-02-01", count: 4 });
    expect(params?.toString()).toBe(
      new URLSearchParams({ "f.stage": "qualification,handoff", "f.source": "web", "f.created_at": "2026-02-01..2026-02-28" }).toString(),
    );
  });

  it("only the first group when asked (a point of the first group)", () => {
    expect(drillParams(spec, { source: "web", created_at_month: "2026-02-01" }, 1)?.get("f.created_at")).toBeNull();
  });

  it("an empty group value has no list to show", () => {
    expect(drillParams(spec, { source: null, created_at_month: "2026-02-01" })).toBeNull();
  });

  it("only into a list that filters by every field named", () => {
    const params = new URLSearchParams({ "f.status": "lost", "f.lost_reason": "price" });
    expect(drillable(params, new Set(["status"]))).toBe(false);
    expect(drillable(params, new Set(["status", "lost_reason"]))).toBe(true);
    expect(drillable(params, null)).toBe(true);
  });

  it("buckets end on their last day", () => {
    expect(bucketEnd("2026-12-01", "month")).toBe("2026-12-31");
    expect(bucketEnd("2024-02-01T00:00:00+00:00", "month")).toBe("2024-02-29");
    expect(bucketEnd("2026-10-01", "quarter")).toBe("2026-12-31");
    expect(bucketEnd("2026-12-07", "week")).toBe("2026-12-13");
    expect(bucketEnd("2026-12-07", "day")).toBe("2026-12-07");
    expect(bucketEnd("2026-01-01", "year")).toBe("2026-12-31");
  });
});

describe("chartData", () => {
  it("one group: a series per aggregate, numbers from decimal strings", () => {
    const data = chartData(
      { entity: "opportunities", group_by: ["status"], aggregates: [{ fn: "count" }, { fn: "sum", field: "amount" }] },
      [
        { status: "open", count: 2, sum_amount: "150.50" },
        { status: null, count: 1, sum_amount: null },
      ],
    );
    expect(data.points).toEqual(["open", null]);
    expect(data.series.map((s) => s.values)).toEqual([
      [2, 1],
      [150.5, null],
    ]);
    expect(data.rowAt[1][0]).toEqual({ status: null, count: 1, sum_amount: null });
  });

  it("two groups: a series per value of the second, gaps where a pair has no row", () => {
    const data = chartData({ entity: "activities", group_by: ["owner_id", "status"] }, [
      { owner_id: "a", status: "done", count: 3 },
      { owner_id: "b", status: "open", count: 1 },
      { owner_id: "a", status: "open", count: 2 },
    ]);
    expect(data.points).toEqual(["a", "b"]);
    expect(data.series.map((s) => [s.key, s.values])).toEqual([
      ["done", [3, null]],
      ["open", [2, 1]],
    ]);
    expect(data.rowAt[1][1]).toEqual({ owner_id: "b", status: "open", count: 1 });
    expect(data.rowAt[1][0]).toBeNull();
  });

  it("no group: one point per aggregate", () => {
    const data = chartData({ entity: "leads", aggregates: [{ fn: "count" }] }, [{ count: 7 }]);
    expect(data.series[0].values).toEqual([7]);
  });
});

describe("the Results grid", () => {
  const widgets = [
    { id: "a", x: 0, y: 0, w: 6, h: 2 },
    { id: "b", x: 6, y: 0, w: 6, h: 2 },
    { id: "c", x: 0, y: 2, w: 12, h: 3 },
  ];

  it("places a new widget in the first free cell", () => {
    expect(placeFree(widgets, 4, 2)).toEqual({ x: 0, y: 5 });
    expect(placeFree([{ x: 0, y: 0, w: 6, h: 2 }], 4, 2)).toEqual({ x: 6, y: 0 });
    expect(placeFree([], 20, 2)).toEqual({ x: 0, y: 0 });
  });

  it("moving a widget onto another pushes that one down; the grid's edges hold", () => {
    const moved = moveBox(widgets, "b", { dx: -6 });
    expect(moved.find((w) => w.id === "b")).toEqual({ id: "b", x: 0, y: 0, w: 6, h: 2 });
    expect(moved.find((w) => w.id === "a")).toEqual({ id: "a", x: 0, y: 2, w: 6, h: 2 });
    expect(moved.find((w) => w.id === "c")).toEqual({ id: "c", x: 0, y: 4, w: 12, h: 3 });
    expect(moveBox(widgets, "b", { dx: 5 }).find((w) => w.id === "b")?.x).toBe(6);
    expect(moveBox(widgets, "a", { dy: -3 }).find((w) => w.id === "a")?.y).toBe(0);
  });

  it("widening keeps the widget inside the 12 columns", () => {
    const wider = moveBox(widgets, "b", { dw: 4 });
    expect(wider.find((w) => w.id === "b")).toMatchObject({ x: 2, w: 10 });
    expect(wider.find((w) => w.id === "a")).toMatchObject({ y: 2 });
  });

  it("a drop puts the widget at the cell", () => {
    const dropped = dropBox(widgets, "a", 3, 7);
    expect(dropped.find((w) => w.id === "a")).toEqual({ id: "a", x: 3, y: 7, w: 6, h: 2 });
    expect(dropped.find((w) => w.id === "c")).toEqual({ id: "c", x: 0, y: 2, w: 12, h: 3 });
  });
});
