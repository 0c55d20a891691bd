// The pipeline board's state and how it changes: pure functions, so the optimistic move
// and its rollback are easy to reason about (and tested in board.test.ts).
import type { Stage } from "../../core/stages";
import { fromCents, toCents, weightedCents } from "../../views/format";

export interface Card {
  id: string;
  title: string;
  amount: string | null;
  currency: string | null;
  probability: number | null;
  owner_id: string;
  account_id: string | null;
  account_name: string | null;
  close_date: string | null;
  stage_entered_at: string | null;
  version: number;
}

export interface Total {
  currency: string;
  amount: string;
  weighted: string;
}

export interface Column {
  stage: Stage;
  count: number;
  totals: Total[];
  items: Card[];
  next_cursor: string | null;
}

export type BoardAction =
  | { type: "loaded"; columns: Column[] }
  | { type: "more"; stageId: string; items: Card[]; next_cursor: string | null }
  /** Optimistic: the card leaves its column for the top of another (or for a final stage). */
  | { type: "move"; cardId: string; toStageId: string; now?: string }
  /** The server's answer: the card as it is now (new version). */
  | { type: "moved"; card: Card }
  /** The server refused: the card goes back where it was, as it was. */
  | { type: "revert"; card: Card; fromStageId: string; index: number };

export interface Found {
  card: Card;
  stageId: string;
  index: number;
}

export function findCard(columns: Column[], cardId: string): Found | null {
  for (const column of columns) {
    const index = column.items.findIndex((c) => c.id === cardId);
    if (index >= 0) return { card: column.items[index], stageId: column.stage.id, index };
  }
  return null;
}

/** Add (sign 1) or take away (sign -1) a card's amount from a column's totals. */
export function adjustTotals(totals: Total[], card: Card, sign: 1 | -1): Total[] {
  if (!card.currency || card.amount === null || card.amount === undefined) return totals;
  const cents = toCents(card.amount);
  const weighted = weightedCents(cents, card.probability);
  const out = totals.map((t) => ({ ...t }));
  let total = out.find((t) => t.currency === card.currency);
  if (!total) {
    total = { currency: card.currency, amount: "0.00", weighted: "0.00" };
    out.push(total);
    out.sort((a, b) => a.currency.localeCompare(b.currency));
  }
  total.amount = fromCents(toCents(total.amount) + BigInt(sign) * cents);
  total.weighted = fromCents(toCents(total.weighted) + BigInt(sign) * weighted);
  // A currency with nothing left in the column is no longer shown.
  return out.filter((t) => !(toCents(t.amount) === 0n && toCents(t.weighted) === 0n && t.currency === card.currency && sign < 0));
}

function take(columns: Column[], cardId: string): [Column[], Found | null] {
  const found = findCard(columns, cardId);
  if (!found) return [columns, null];
  const next = columns.map((column) =>
    column.stage.id === found.stageId
      ? {
          ...column,
          count: Math.max(0, column.count - 1),
          items: column.items.filter((c) => c.id !== cardId),
          totals: adjustTotals(column.totals, found.card, -1),
        }
      : column,
  );
  return [next, found];
}

function put(columns: Column[], stageId: string, card: Card, index: number): Column[] {
  return columns.map((column) => {
    // A final stage is a drop target only: its deals are closed and leave the board.
    if (column.stage.id !== stageId || column.stage.is_final) return column;
    const items = column.items.slice();
    items.splice(Math.max(0, Math.min(index, items.length)), 0, card);
    return { ...column, count: column.count + 1, items, totals: adjustTotals(column.totals, card, 1) };
  });
}

export function boardReducer(columns: Column[], action: BoardAction): Column[] {
  switch (action.type) {
    case "loaded":
      return action.columns;
    case "more":
      return columns.map((column) => {
        if (column.stage.id !== action.stageId) return column;
        const known = new Set(column.items.map((c) => c.id));
        return {
          ...column,
          items: column.items.concat(action.items.filter((c) => !known.has(c.id))),
          next_cursor: action.next_cursor,
        };
      });
    case "move": {
      const target = columns.find((c) => c.stage.id === action.toStageId);
      const found = findCard(columns, action.cardId);
      if (!target || !found || found.stageId === action.toStageId) return columns;
      const [without] = take(columns, action.cardId);
      const moved: Card = {
        ...found.card,
        probability: target.stage.probability,
        stage_entered_at: action.now ?? new Date().toISOString(),
      };
      return put(without, action.toStageId, moved, 0);
    }
    case "moved": {
      const found = findCard(columns, action.card.id);
      if (!found) return columns;
      const [without] = take(columns, action.card.id);
      return put(without, found.stageId, { ...found.card, ...action.card }, found.index);
    }
    case "revert": {
      const [without] = take(columns, action.card.id);
      return put(without, action.fromStageId, action.card, action.index);
    }
  }
}

/** An opportunity record from the list endpoint as a card ("load more"). */
export function cardOf(record: Record<string, unknown>): Card {
  const str = (v: unknown) => (typeof v === "string" ? v : null);
  return {
    id: String(record.id),
    title: String(record.title ?? ""),
    amount: str(record.amount),
    currency: str(record.currency),
    probability: typeof record.probability === "number" ? record.probability : null,
    owner_id: String(record.owner_id ?? ""),
    account_id: str(record.account_id),
    account_name: str(record.account_name),
    close_date: str(record.close_date),
    stage_entered_at: str(record.stage_entered_at),
    version: typeof record.version === "number" ? record.version : 1,
  };
}
