import { describe, expect, it } from "vitest";
import { selectionBody } from "./bulkSelection";

describe("bulk selection", () => {
  const rows = [
    { id: "a", version: 3 },
    { id: "b", version: 1 },
    { id: "c" },
  ];

  it("sends the ticked ids with the versions the list read", () => {
    const body = selectionBody({ ids: ["a", "c"], allMatching: false, matchingCount: 3 }, rows, new URLSearchParams());
    expect(body).toEqual({ ids: ["a", "c"], versions: { a: 3 } });
  });

  it("sends the list's filter and search for all that match", () => {
    const query = new URLSearchParams("limit=100&sort=-created_at&q=acme&filter[status]=open,won&filter[owner_id]=u1");
    const body = selectionBody({ ids: ["a"], allMatching: true, matchingCount: null }, rows, query);
    expect(body).toEqual({ all_matching: true, filter: { status: "open,won", owner_id: "u1" }, q: "acme" });
  });
});
