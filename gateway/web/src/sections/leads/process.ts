// The lead process as pure functions: what the next step is at each stage, where a lead
// may be moved by hand, and how likely duplicates are grouped (tested in process.test.ts).
import type { Grants } from "../../core/registry";

export const PATH = ["qualification", "distribution", "handoff", "awaiting_sale", "converted"] as const;
export const OUTCOMES = ["disqualified", "nurturing"] as const;
export const CLOSED = ["converted", "disqualified"];
/** Where a manager may reopen a closed lead. */
export const REOPEN_TO = ["qualification", "distribution", "handoff", "nurturing"];

export type NextStep = "qualify" | "assign" | "handoff" | "wait" | "reopen" | "closed";

export function isClosed(stage: unknown): boolean {
  return typeof stage === "string" && CLOSED.includes(stage);
}

/** Sales managers and administrators (reopen, rules, lookups). */
export function isManager(user: Grants | null): boolean {
  return !!user?.roles?.some((role) => role === "admin" || role === "sales_manager");
}

export function isAdmin(user: Grants | null): boolean {
  return !!user?.roles?.includes("admin");
}

/** The one thing to do next at this stage (the primary button). */
export function nextStep(stage: string, manager: boolean): NextStep {
  switch (stage) {
    case "qualification":
    case "nurturing":
      return "qualify";
    case "distribution":
      return "assign";
    case "handoff":
      return "handoff";
    case "awaiting_sale":
      return "wait";
    default:
      return manager ? "reopen" : "closed";
  }
}

/** The path's stages a user may move an open lead to by hand (not where it is; converting
 * happens through the hand-off, disqualifying with a reason). */
export function movableStages(stage: string): string[] {
  if (isClosed(stage)) return [];
  return [...PATH, "nurturing"].filter((s) => s !== stage && s !== "converted");
}

export interface DuplicateCandidate {
  entity: "contact" | "account" | string;
  record: { id: string } & Record<string, unknown>;
  score?: number;
  reasons: string[];
}

/** Candidates split by what they are: contacts first, then accounts. */
export function groupCandidates(candidates: DuplicateCandidate[]): { contact: DuplicateCandidate[]; account: DuplicateCandidate[] } {
  return {
    contact: candidates.filter((c) => c.entity === "contact"),
    account: candidates.filter((c) => c.entity === "account"),
  };
}

/** The lead a merge keeps: the oldest (by created_at, then id) of them all. */
export function keptLead<T extends { id: string; created_at?: unknown }>(leads: T[]): T | undefined {
  return [...leads].sort((a, b) => {
    const left = String(a.created_at ?? "");
    const right = String(b.created_at ?? "");
    return left === right ? a.id.localeCompare(b.id) : left < right ? -1 : 1;
  })[0];
}

export interface ScoreReason {
  rule_id: string;
  name: string;
  points: number;
}

export function scoreReasons(value: unknown): ScoreReason[] {
  if (!Array.isArray(value)) return [];
  return value.filter(
    (r): r is ScoreReason => !!r && typeof r === "object" && typeof (r as ScoreReason).name === "string" && typeof (r as ScoreReason).points === "number",
  );
}
