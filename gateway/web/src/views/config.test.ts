import { describe, expect, it } from "vitest";
import { apiQuery, canonical, cleanColumns, filtersOf, moveColumn } from "./config";

const me = { id: "u-1", team_id: "t-1" };

describe("list query", () => {
  it("turns the address's filters into the API's, with 'me' as the user's id", () => {
    const params = new URLSearchParams("q=acme&f.stage=qualification,nurturing&f.owner_id=me&sort=score");
    const query = apiQuery(params, "-created_at", me, 100);
    expect(query.get("filter[stage]")).toBe("qualification,nurturing");
    expect(query.get("filter[owner_id]")).toBe("u-1");
    expect(query.get("q")).toBe("acme");
    expect(query.get("sort")).toBe("score");
    expect(query.get("limit")).toBe("100");
  });

  it("uses the default sort and leaves out an empty search", () => {
    const query = apiQuery(new URLSearchParams("q=%20"), "-created_at", me, 50);
    expect(query.get("sort")).toBe("-created_at");
    expect(query.has("q")).toBe(false);
  });

  it("reads filters and compares views whatever the parameter order", () => {
    expect(filtersOf(new URLSearchParams("f.stage=a,b&q=x"))).toEqual({ stage: ["a", "b"] });
    expect(canonical("f.stage=a&f.owner_id=me")).toBe(canonical("f.owner_id=me&f.stage=a"));
    expect(canonical("view=1&q=")).toBe("");
  });
});

describe("columns", () => {
  const known = new Set(["a", "b", "c"]);
  const fallback = [
    { name: "a", width: 100 },
    { name: "b", width: 100 },
  ];

  it("drops unknown and repeated columns and keeps widths in range", () => {
    const saved = [
      { name: "c", width: 5000 },
      { name: "zzz", width: 100 },
      { name: "c", width: 100 },
      { name: "a", width: 10 },
    ];
    expect(cleanColumns(saved, known, fallback)).toEqual([
      { name: "c", width: 800 },
      { name: "a", width: 60 },
    ]);
  });

  it("falls back to the defaults when nothing usable is saved", () => {
    expect(cleanColumns(undefined, known, fallback)).toEqual(fallback);
    expect(cleanColumns([{ name: "zzz" }], known, fallback)).toEqual(fallback);
  });

  it("moves a column and refuses to move past either end", () => {
    expect(moveColumn(fallback, "b", -1).map((c) => c.name)).toEqual(["b", "a"]);
    expect(moveColumn(fallback, "a", -1)).toBe(fallback);
  });
});
