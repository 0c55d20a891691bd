// The forecast grid's arithmetic: the periods of a year, which plan sits in which cell,
// and the gap between a plan and what was won. Money stays exact (cents as bigint).
import { fromCents, toCents } from "../../views/format";

export type PeriodKind = "month" | "quarter";

export interface Plan {
  id: string;
  owner_id: string | null;
  team_id: string | null;
  period_kind: string;
  period_start: string;
  period_end: string;
  currency: string;
  plan_amount: string;
  fact_amount: string;
  pipeline_amount: string;
  weighted_amount: string;
  version: number;
}

/** Who a row of the grid plans for. */
export interface Planner {
  kind: "user" | "team";
  id: string;
  name: string;
}

/** The first day of each period of the year: 12 months or 4 quarters. */
export function periodsOf(year: number, kind: PeriodKind): string[] {
  const step = kind === "month" ? 1 : 3;
  const out: string[] = [];
  for (let month = 1; month <= 12; month += step) out.push(`${year}-${String(month).padStart(2, "0")}-01`);
  return out;
}

export function cellKey(planner: Pick<Planner, "kind" | "id">, periodStart: string): string {
  return `${planner.kind}:${planner.id}:${periodStart}`;
}

/** The plans by the cell they fill. */
export function plansByCell(plans: Plan[]): Map<string, Plan> {
  const out = new Map<string, Plan>();
  for (const plan of plans) {
    const planner = plan.team_id && !plan.owner_id ? { kind: "team" as const, id: plan.team_id } : { kind: "user" as const, id: plan.owner_id ?? "" };
    out.set(cellKey(planner, plan.period_start.slice(0, 10)), plan);
  }
  return out;
}

/** Plan minus won: what is still to win (negative: the plan was beaten). */
export function gapOf(plan: Pick<Plan, "plan_amount" | "fact_amount">): string {
  return fromCents(toCents(plan.plan_amount) - toCents(plan.fact_amount));
}

/** Sum of decimal strings, exact. */
export function total(amounts: string[]): string {
  return fromCents(amounts.reduce((sum, amount) => sum + toCents(amount), 0n));
}

/** What the user typed as an amount: "1 500,50" → "1500.50"; null for nothing typed,
 * undefined for something that is not an amount. */
export function parseAmount(text: string): string | null | undefined {
  const compact = text.replace(/[\s\u00a0\u202f]/g, "");
  if (!compact) return null;
  const normal = compact.includes(",") && !compact.includes(".") ? compact.replace(",", ".") : compact.replace(/,/g, "");
  if (!/^\d+(\.\d{1,2})?$/.test(normal)) return undefined;
  return normal;
}

/** Who has rows: every team and user known, and anyone with a plan in view, teams first. */
export function plannersOf(users: Planner[], teams: Planner[], plans: Plan[]): Planner[] {
  const seen = new Set<string>();
  const out: Planner[] = [];
  const add = (planner: Planner) => {
    const key = `${planner.kind}:${planner.id}`;
    if (seen.has(key) || !planner.id) return;
    seen.add(key);
    out.push(planner);
  };
  teams.forEach(add);
  for (const plan of plans) if (plan.team_id && !plan.owner_id) add({ kind: "team", id: plan.team_id, name: plan.team_id.slice(0, 8) });
  users.forEach(add);
  for (const plan of plans) if (plan.owner_id) add({ kind: "user", id: plan.owner_id, name: plan.owner_id.slice(0, 8) });
  return out;
}
