import { describe, expect, it } from "vitest";
import { adjustTotals, boardReducer, cardOf, findCard, type Card, type Column } from "./board";

const stage = (id: string, probability: number, extra: Partial<Column["stage"]> = {}) => ({
  id,
  name: id,
  position: probability,
  probability,
  is_final: false,
  is_successful: false,
  ...extra,
});

const card = (id: string, amount: string | null, currency: string | null, probability: number): Card => ({
  id,
  title: `Deal ${id}`,
  amount,
  currency,
  probability,
  owner_id: "u1",
  account_id: null,
  account_name: null,
  close_date: null,
  stage_entered_at: null,
  version: 1,
});

function board(): Column[] {
  return [
    {
      stage: stage("qual", 10),
      count: 3,
      totals: [{ currency: "EUR", amount: "1500.00", weighted: "150.00" }],
      items: [card("a", "1000.00", "EUR", 10), card("b", "500.00", "EUR", 10), card("c", null, null, 10)],
      next_cursor: "next-qual",
    },
    { stage: stage("prop", 50), count: 0, totals: [], items: [], next_cursor: null },
    { stage: stage("won", 100, { is_final: true, is_successful: true }), count: 0, totals: [], items: [], next_cursor: null },
  ];
}

describe("the pipeline board", () => {
  it("moves a card to the top of another column with the new stage's odds", () => {
    const after = boardReducer(board(), { type: "move", cardId: "b", toStageId: "prop", now: "2030-01-01T00:00:00Z" });
    const [qual, prop] = after;
    expect(qual.items.map((c) => c.id)).toEqual(["a", "c"]);
    expect(qual.count).toBe(2);
    expect(qual.totals).toEqual([{ currency: "EUR", amount: "1000.00", weighted: "100.00" }]);
    expect(prop.items.map((c) => c.id)).toEqual(["b"]);
    expect(prop.items[0].probability).toBe(50);
    expect(prop.items[0].stage_entered_at).toBe("2030-01-01T00:00:00Z");
    expect(prop.count).toBe(1);
    expect(prop.totals).toEqual([{ currency: "EUR", amount: "500.00", weighted: "250.00" }]);
  });

  it("puts a refused card back where it was, as it was", () => {
    const before = board();
    const found = findCard(before, "b")!;
    const moved = boardReducer(before, { type: "move", cardId: "b", toStageId: "prop" });
    const reverted = boardReducer(moved, { type: "revert", card: found.card, fromStageId: found.stageId, index: found.index });
    expect(reverted.map((c) => c.items.map((i) => i.id))).toEqual(before.map((c) => c.items.map((i) => i.id)));
    expect(reverted.map((c) => c.count)).toEqual(before.map((c) => c.count));
    expect(reverted[0].totals).toEqual(before[0].totals);
    expect(reverted[1].totals).toEqual([]);
  });

  it("lets a won deal leave the board: the final column takes no cards", () => {
    const after = boardReducer(board(), { type: "move", cardId: "a", toStageId: "won" });
    expect(after[0].items.map((c) => c.id)).toEqual(["b", "c"]);
    expect(after[0].totals).toEqual([{ currency: "EUR", amount: "500.00", weighted: "50.00" }]);
    expect(after[2].items).toEqual([]);
    expect(after[2].count).toBe(0);
  });

  it("ignores a drop on the card's own column or an unknown card", () => {
    const before = board();
    expect(boardReducer(before, { type: "move", cardId: "a", toStageId: "qual" })).toBe(before);
    expect(boardReducer(before, { type: "move", cardId: "zzz", toStageId: "prop" })).toBe(before);
  });

  it("takes the server's version after a move, in the same place", () => {
    const moved = boardReducer(board(), { type: "move", cardId: "b", toStageId: "prop" });
    const confirmed = boardReducer(moved, { type: "moved", card: { ...findCard(moved, "b")!.card, version: 2 } });
    expect(findCard(confirmed, "b")).toMatchObject({ stageId: "prop", index: 0 });
    expect(findCard(confirmed, "b")!.card.version).toBe(2);
    expect(confirmed[1].totals).toEqual(moved[1].totals);
  });

  it("appends more cards without repeating those already shown", () => {
    const after = boardReducer(board(), {
      type: "more",
      stageId: "qual",
      items: [card("c", null, null, 10), card("d", "1.00", "USD", 10)],
      next_cursor: null,
    });
    expect(after[0].items.map((c) => c.id)).toEqual(["a", "b", "c", "d"]);
    expect(after[0].next_cursor).toBeNull();
  });

  it("keeps totals per currency and drops a currency with nothing left", () => {
    const usd = card("u", "10.10", "USD", 33);
    const added = adjustTotals([{ currency: "EUR", amount: "1.00", weighted: "0.10" }], usd, 1);
    expect(added).toEqual([
      { currency: "EUR", amount: "1.00", weighted: "0.10" },
      { currency: "USD", amount: "10.10", weighted: "3.33" },
    ]);
    expect(adjustTotals(added, usd, -1)).toEqual([{ currency: "EUR", amount: "1.00", weighted: "0.10" }]);
  });

  it("reads a list record as a card", () => {
    expect(cardOf({ id: "x", title: "T", amount: "5.00", currency: "EUR", probability: 30, owner_id: "u", version: 4 })).toMatchObject({
      id: "x",
      amount: "5.00",
      probability: 30,
      account_name: null,
      version: 4,
    });
  });
});
