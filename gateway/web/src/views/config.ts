// What a section tells the generic list and record views about its entity.
import type { ComponentType } from "react";
import type { EntityRecord } from "../core/meta";

export interface ColumnPref {
  name: string;
  width: number;
}

export interface BuiltInView {
  id: string;
  labelKey: string;
  /** The list's query string for this view; "me" stands for the signed-in user. */
  params: string;
}

export interface SavedView {
  id: string;
  name: string;
  params: string;
}

export interface StageBar {
  field: string;
  /** The main path, in order. */
  path: string[];
  /** Where a record may leave the path (shown apart). */
  outcomes: string[];
}

export interface FieldGroup {
  titleKey: string;
  fields: string[];
}

/** What a record page gives the parts a section adds to it (a stage bar, a hint). */
export interface RecordPartProps {
  entity: string;
  record: EntityRecord;
  version: number | null;
  /** The record changed on the server (an action answered with it). */
  onRecord: (record: EntityRecord, etag: string | null) => void;
  reload: () => void;
}

/** What a field's note is given: the field, the record and the form's values now. */
export interface FieldNoteProps {
  name: string;
  record: EntityRecord | null;
  values: Record<string, unknown>;
  change: (name: string, value: unknown) => void;
}

export interface EntityConfig {
  entity: string;
  /** Section id: the key of its saved columns and views. */
  section: string;
  basePath: string;
  titleKey: string;
  newKey: string;
  countKey: string;
  defaultSort: string;
  defaultColumns: ColumnPref[];
  views: BuiltInView[];
  title: (record: EntityRecord) => string;
  headerFields: string[];
  /** What a new record's form starts with (the user changes any of it before saving). */
  newDefaults?: () => Record<string, unknown>;
  stageBar?: StageBar;
  /** A stage bar of the section's own (the opportunities' stages come from the API). */
  StageBarPart?: ComponentType<RecordPartProps>;
  /** Shown beside the title (e.g. the lead's score). */
  TitlePart?: ComponentType<RecordPartProps>;
  /** A record that cannot be edited now (a closed lead): the details are shown read-only. */
  readOnly?: (record: EntityRecord) => boolean;
  /** Records that are never deleted (orders and invoices are cancelled instead). */
  noDelete?: boolean;
  /** Fields the form shows computed and read-only for these values (an invoice's totals
   * from its order's lines), with the key of the words saying where they come from. */
  computedFields?: (values: Record<string, unknown>) => { fields: string[]; noteKey: string } | null;
  /** Words (and a button) shown under a field of the form: where its value comes from. */
  FieldNote?: ComponentType<FieldNoteProps>;
  /** Fields never shown on the record page (another part shows them its own way). */
  hiddenFields?: string[];
  /** Shown under the header (e.g. "2 similar records"). */
  HintPart?: ComponentType<RecordPartProps>;
  /** Fields that may be set only when creating (the deal's first stage). */
  createOnly?: string[];
  /** Creating may answer 409 with likely duplicates, to review or create anyway. */
  duplicates?: boolean;
  /** Switch between views of the section shown in the list's header (list | board). */
  ListSwitch?: ComponentType;
  /** A class for a list row that needs marking (an overdue activity). */
  rowClass?: (record: EntityRecord) => string | undefined;
  groups: FieldGroup[];
}

export const MIN_WIDTH = 60;
export const MAX_WIDTH = 800;

export function clampWidth(width: number): number {
  return Math.max(MIN_WIDTH, Math.min(MAX_WIDTH, Math.round(width)));
}

/** Saved columns minus fields that no longer exist, widths kept sane. */
export function cleanColumns(columns: unknown, known: Set<string>, fallback: ColumnPref[]): ColumnPref[] {
  if (!Array.isArray(columns)) return fallback.filter((c) => known.has(c.name));
  const seen = new Set<string>();
  const out: ColumnPref[] = [];
  for (const item of columns) {
    if (!item || typeof item !== "object") continue;
    const { name, width } = item as Partial<ColumnPref>;
    if (typeof name !== "string" || !known.has(name) || seen.has(name)) continue;
    seen.add(name);
    out.push({ name, width: clampWidth(typeof width === "number" ? width : 160) });
  }
  return out.length ? out : fallback.filter((c) => known.has(c.name));
}

/** Move one column by `delta` places. */
export function moveColumn(columns: ColumnPref[], name: string, delta: number): ColumnPref[] {
  const from = columns.findIndex((c) => c.name === name);
  const to = from + delta;
  if (from < 0 || to < 0 || to >= columns.length) return columns;
  const next = columns.slice();
  const [moved] = next.splice(from, 1);
  next.splice(to, 0, moved);
  return next;
}

/** The filters a list's query string carries: `f.<field>=a,b`. */
export function filtersOf(params: URLSearchParams): Record<string, string[]> {
  const filters: Record<string, string[]> = {};
  params.forEach((value, key) => {
    if (key.startsWith("f.") && value) filters[key.slice(2)] = value.split(",").filter(Boolean);
  });
  return filters;
}

/** The API query for a list: its query string, with "me" put for the user's id. */
export function apiQuery(
  params: URLSearchParams,
  defaultSort: string,
  me: { id: string; team_id: string | null },
  limit: number,
): URLSearchParams {
  const query = new URLSearchParams();
  query.set("limit", String(limit));
  query.set("sort", params.get("sort") || defaultSort);
  const q = params.get("q")?.trim();
  if (q) query.set("q", q);
  for (const [field, values] of Object.entries(filtersOf(params))) {
    const resolved = values.map((v) => (v === "me" ? me.id : v === "my_team" ? (me.team_id ?? "") : v)).filter(Boolean);
    if (resolved.length) query.set(`filter[${field}]`, resolved.join(","));
  }
  return query;
}

/** A query string in a stable order, to tell which view is showing. */
export function canonical(params: URLSearchParams | string): string {
  const source = typeof params === "string" ? new URLSearchParams(params) : params;
  const entries = [...source.entries()].filter(([key, value]) => value !== "" && key !== "view" && key !== "show");
  entries.sort(([a], [b]) => a.localeCompare(b));
  return new URLSearchParams(entries).toString();
}
