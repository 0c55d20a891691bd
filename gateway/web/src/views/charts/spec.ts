// Reports as the screens build them: the spec sent to POST /reports/run, the keys of the
// rows it answers, the series a chart draws from them, and the list a figure drills into.
// Pure functions, no React: the builder, the section charts and the Results page share them.

export const BUCKETS = ["day", "week", "month", "quarter", "year"] as const;
export type Bucket = (typeof BUCKETS)[number];
export const FUNCTIONS = ["count", "sum", "avg", "min", "max"] as const;
export type AggregateFn = (typeof FUNCTIONS)[number];
export const CHART_KINDS = ["bar", "line", "pie", "funnel", "table", "number"] as const;
export type ChartKind = (typeof CHART_KINDS)[number];

export type FieldKind = "text" | "id" | "number" | "date" | "datetime";

const COMMON: Record<string, FieldKind> = {
  owner_id: "id",
  team_id: "id",
  created_at: "datetime",
  updated_at: "datetime",
};

/** What a report may filter, group or aggregate by, per entity: the analytics service's
 * `domain.ENTITIES` (it answers 422 naming the field for anything else). */
export const REPORT_FIELDS: Record<string, Record<string, FieldKind>> = {
  leads: {
    ...COMMON,
    source: "text",
    channel: "text",
    need_type: "text",
    need_maturity: "text",
    stage: "text",
    region: "text",
    score: "number",
    disqualification_reason: "text",
    utm_source: "text",
    utm_medium: "text",
    utm_campaign: "text",
    account_name: "text",
    account_id: "id",
    contact_id: "id",
    opportunity_id: "id",
  },
  opportunities: {
    ...COMMON,
    stage_id: "id",
    status: "text",
    need_type: "text",
    currency: "text",
    amount: "number",
    budget: "number",
    probability: "number",
    close_date: "date",
    lost_reason: "text",
    account_id: "id",
    contact_id: "id",
    lead_id: "id",
    stage_entered_at: "datetime",
  },
  orders: {
    ...COMMON,
    status: "text",
    currency: "text",
    total: "number",
    subtotal: "number",
    tax_total: "number",
    discount_total: "number",
    account_id: "id",
    opportunity_id: "id",
    accounting_status: "text",
  },
  invoices: {
    ...COMMON,
    status: "text",
    currency: "text",
    total: "number",
    paid_amount: "number",
    due_date: "date",
    issued_at: "datetime",
    paid_at: "datetime",
    account_id: "id",
    order_id: "id",
  },
  activities: {
    ...COMMON,
    type: "text",
    status: "text",
    priority: "text",
    start_at: "datetime",
    due_at: "datetime",
    completed_at: "datetime",
    related_type: "text",
    related_id: "id",
  },
  accounts: { ...COMMON, type: "text", industry: "text", parent_id: "id" },
  products: { ...COMMON, code: "text", category: "text", unit: "text", is_active: "text" },
  contacts: { ...COMMON, account_id: "id", job_title: "text" },
  // owner_id: whom a message counts for (its mailbox's owner, or who sent it)
  emails: { ...COMMON, direction: "text", mailbox_id: "id", sent_at: "datetime", linked: "text" },
  process_instances: {
    ...COMMON,
    definition_id: "id",
    name: "text",
    state: "text",
    record_type: "text",
    started_at: "datetime",
    ended_at: "datetime",
  },
  // owner_id: the task's assignee
  process_tasks: {
    ...COMMON,
    name: "text",
    state: "text",
    assignee_id: "id",
    instance_id: "id",
    due_at: "datetime",
    completed_at: "datetime",
    completed_by: "id",
  },
};

/** Entities a report counts that have no list of their own to drill into. */
export const NO_LIST = new Set(["emails", "process_instances", "process_tasks"]);

export const REPORT_ENTITIES = Object.keys(REPORT_FIELDS);

export interface GroupBy {
  field: string;
  bucket?: Bucket | null;
}

export interface Aggregate {
  fn: AggregateFn;
  field?: string | null;
}

export interface ReportSpec {
  entity: string;
  group_by?: Array<GroupBy | string>;
  aggregates?: Aggregate[];
  filters?: Record<string, string>;
  chart?: ChartKind;
}

export type ReportRow = Record<string, string | number | null>;

export interface ReportResult {
  report: ReportSpec;
  rows: ReportRow[];
  truncated: boolean;
}

export const isDateKind = (kind: FieldKind | undefined) => kind === "date" || kind === "datetime";

/** `"created_at:month"` or `{field, bucket}` → `{field, bucket}` (a date's bucket defaults to month). */
export function parseGroup(group: GroupBy | string, entity: string): GroupBy {
  const raw = typeof group === "string" ? { field: group.split(":")[0], bucket: (group.split(":")[1] || null) as Bucket | null } : group;
  const kind = REPORT_FIELDS[entity]?.[raw.field];
  return isDateKind(kind) ? { field: raw.field, bucket: raw.bucket || "month" } : { field: raw.field };
}

/** The key a grouped row carries its group's value under: `<field>` or `<field>_<bucket>`. */
export function groupKey(group: GroupBy): string {
  return group.bucket ? `${group.field}_${group.bucket}` : group.field;
}

/** The key of an aggregate's value in a row: `count` or `<fn>_<field>`. */
export function valueKey(aggregate: Aggregate): string {
  return aggregate.fn === "count" ? "count" : `${aggregate.fn}_${aggregate.field}`;
}

export function groupsOf(spec: ReportSpec): GroupBy[] {
  return (spec.group_by ?? []).map((g) => parseGroup(g, spec.entity));
}

export function aggregatesOf(spec: ReportSpec): Aggregate[] {
  return spec.aggregates && spec.aggregates.length ? spec.aggregates : [{ fn: "count" }];
}

// -- what the builder's form holds, and the spec it makes

export interface BuilderState {
  entity: string;
  groups: GroupBy[];
  aggregates: Aggregate[];
  filters: Array<{ field: string; value: string }>;
  chart: ChartKind;
}

export const EMPTY_BUILDER: BuilderState = {
  entity: "leads",
  groups: [{ field: "source" }],
  aggregates: [{ fn: "count" }],
  filters: [],
  chart: "bar",
};

export interface SpecProblem {
  field: string;
  key: string;
}

/** The builder's form as a report spec, or the problems to show beside its fields (the
 * server checks the same and more; this only saves a round trip for the plain mistakes). */
export function buildSpec(state: BuilderState): { spec: ReportSpec; problems: SpecProblem[] } {
  const fields = REPORT_FIELDS[state.entity] ?? {};
  const problems: SpecProblem[] = [];
  if (!REPORT_FIELDS[state.entity]) problems.push({ field: "entity", key: "reports.problem.entity" });
  const groups = state.groups.filter((g) => g.field);
  if (groups.length > 2) problems.push({ field: "group_by", key: "reports.problem.twoGroups" });
  groups.forEach((g, n) => {
    if (!fields[g.field]) problems.push({ field: `group_by[${n}]`, key: "reports.problem.unknownField" });
  });
  const aggregates: Aggregate[] = [];
  state.aggregates.forEach((a, n) => {
    if (a.fn === "count") {
      aggregates.push({ fn: "count" });
      return;
    }
    const kind = a.field ? fields[a.field] : undefined;
    const fits = a.fn === "min" || a.fn === "max" ? kind === "number" || isDateKind(kind) : kind === "number";
    if (!fits) problems.push({ field: `aggregates[${n}]`, key: a.fn === "min" || a.fn === "max" ? "reports.problem.needsNumberOrDate" : "reports.problem.needsNumber" });
    else aggregates.push({ fn: a.fn, field: a.field });
  });
  const filters: Record<string, string> = {};
  state.filters.forEach((f) => {
    const value = f.value.trim();
    if (!f.field || !value) return;
    if (!fields[f.field]) problems.push({ field: `filters.${f.field}`, key: "reports.problem.unknownField" });
    else filters[f.field] = value;
  });
  if (state.chart !== "number" && state.chart !== "table" && groups.length === 0)
    problems.push({ field: "group_by", key: "reports.problem.chartNeedsGroup" });
  const spec: ReportSpec = {
    entity: state.entity,
    group_by: groups.map((g) => (isDateKind(fields[g.field]) ? { field: g.field, bucket: g.bucket || "month" } : { field: g.field })),
    aggregates: aggregates.length ? dedupe(aggregates) : [{ fn: "count" }],
    filters,
    chart: state.chart,
  };
  return { spec, problems };
}

function dedupe(aggregates: Aggregate[]): Aggregate[] {
  const seen = new Set<string>();
  return aggregates.filter((a) => {
    const key = valueKey(a);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** A saved report's spec back in the builder's form. */
export function builderOf(spec: ReportSpec): BuilderState {
  return {
    entity: spec.entity,
    groups: groupsOf(spec),
    aggregates: aggregatesOf(spec).map((a) => ({ fn: a.fn, field: a.field ?? null })),
    filters: Object.entries(spec.filters ?? {}).map(([field, value]) => ({ field, value: String(value) })),
    chart: spec.chart ?? "bar",
  };
}

// -- the address's list filters and the report's

/** The list's `f.<field>=a,b` in the address as a report's filters, "me" and "my_team"
 * put for the user's ids. Fields a report cannot filter by are returned apart. */
export function filtersFromParams(
  params: URLSearchParams,
  entity: string,
  me: { id: string; team_id: string | null },
): { filters: Record<string, string>; ignored: string[] } {
  const fields = REPORT_FIELDS[entity] ?? {};
  const filters: Record<string, string> = {};
  const ignored: string[] = [];
  params.forEach((value, key) => {
    if (!key.startsWith("f.") || !value) return;
    const field = key.slice(2);
    const resolved = value
      .split(",")
      .map((v) => (v === "me" ? me.id : v === "my_team" ? (me.team_id ?? "") : v))
      .filter(Boolean)
      .join(",");
    if (!resolved) return;
    if (fields[field]) filters[field] = resolved;
    else ignored.push(field);
  });
  if (params.get("q")?.trim()) ignored.push("q");
  return { filters, ignored };
}

/** The last day of the bucket starting on `start` (YYYY-MM-DD), for a list's inclusive range. */
export function bucketEnd(start: string, bucket: Bucket): string {
  const [y, m, d] = start.slice(0, 10).split("-").map(Number);
  const day = new Date(Date.UTC(y, m - 1, d));
  const next = new Date(day);
  if (bucket === "day") next.setUTCDate(d + 1);
  else if (bucket === "week") next.setUTCDate(d + 7);
  else if (bucket === "month") next.setUTCMonth(m);
  else if (bucket === "quarter") next.setUTCMonth(m + 2);
  else next.setUTCFullYear(y + 1);
  next.setUTCDate(next.getUTCDate() - 1);
  return next.toISOString().slice(0, 10);
}

/** The list query string showing the records behind one figure: the report's filters
 * plus the clicked row's group values (a date bucket as its range of days). Null when
 * the row cannot be shown as a list (an empty group value: lists filter by values). */
export function drillParams(spec: ReportSpec, row: ReportRow, groupCount?: number): URLSearchParams | null {
  const params = new URLSearchParams();
  for (const [field, value] of Object.entries(spec.filters ?? {})) params.set(`f.${field}`, String(value));
  const groups = groupsOf(spec).slice(0, groupCount ?? undefined);
  for (const group of groups) {
    const value = row[groupKey(group)];
    if (value === null || value === undefined || value === "") return null;
    const text = String(value);
    params.set(`f.${group.field}`, group.bucket ? `${text.slice(0, 10)}..${bucketEnd(text, group.bucket)}` : text);
  }
  return params;
}

/** Whether the list can show a drill-down's records: it filters by every field named
 * (`filterable`: the list's filterable fields, null while not known). */
export function drillable(params: URLSearchParams, filterable: Set<string> | null, entity?: string): boolean {
  if (entity && NO_LIST.has(entity)) return false;
  if (!filterable) return true;
  return [...params.keys()].every((key) => !key.startsWith("f.") || filterable.has(key.slice(2)));
}

/** Where a figure drills to: the entity's list with the figure's filter. */
export function drillPath(entity: string, params: URLSearchParams): string {
  const search = params.toString();
  return `/${entity}${search ? `?${search}` : ""}`;
}

// -- what a chart draws

export interface Series {
  label: string;
  /** For a second grouping: the value of the second group this series stands for. */
  key: string | null;
  values: Array<number | null>;
}

export interface ChartData {
  /** The first group's values, one per point (raw: labels are the caller's job). */
  points: Array<string | null>;
  series: Series[];
  /** rows[i][j]: the row behind point i of series j (to drill into). */
  rowAt: Array<Array<ReportRow | null>>;
}

export function toNumber(value: unknown): number | null {
  if (typeof value === "number") return value;
  if (typeof value === "string" && value.trim() !== "" && !Number.isNaN(Number(value))) return Number(value);
  return null;
}

/** Report rows as points and series: one group → a series per aggregate; two groups →
 * a series per value of the second group, of the first aggregate. */
export function chartData(spec: ReportSpec, rows: ReportRow[]): ChartData {
  const groups = groupsOf(spec);
  const aggregates = aggregatesOf(spec);
  if (groups.length === 0) {
    return {
      points: [null],
      series: aggregates.map((a) => ({ label: valueKey(a), key: null, values: [toNumber(rows[0]?.[valueKey(a)])] })),
      rowAt: [aggregates.map(() => rows[0] ?? null)],
    };
  }
  const first = groupKey(groups[0]);
  const points: Array<string | null> = [];
  const index = new Map<string, number>();
  const pointOf = (row: ReportRow) => {
    const value = row[first] === null || row[first] === undefined ? null : String(row[first]);
    const id = value ?? "\u0000";
    if (!index.has(id)) {
      index.set(id, points.length);
      points.push(value);
    }
    return index.get(id)!;
  };
  if (groups.length === 1) {
    const rowAt: Array<Array<ReportRow | null>> = [];
    const series: Series[] = aggregates.map((a) => ({ label: valueKey(a), key: null, values: [] }));
    for (const row of rows) {
      const i = pointOf(row);
      rowAt[i] = aggregates.map(() => row);
      aggregates.forEach((a, j) => (series[j].values[i] = toNumber(row[valueKey(a)])));
    }
    return { points, series, rowAt };
  }
  const second = groupKey(groups[1]);
  const measure = valueKey(aggregates[0]);
  const seriesIndex = new Map<string, number>();
  const series: Series[] = [];
  const cells: Array<[number, number, ReportRow]> = [];
  for (const row of rows) {
    const i = pointOf(row);
    const key = row[second] === null || row[second] === undefined ? null : String(row[second]);
    const id = key ?? "\u0000";
    if (!seriesIndex.has(id)) {
      seriesIndex.set(id, series.length);
      series.push({ label: key ?? "", key, values: [] });
    }
    cells.push([i, seriesIndex.get(id)!, row]);
  }
  const rowAt = points.map(() => series.map(() => null as ReportRow | null));
  for (const s of series) s.values = points.map(() => null);
  for (const [i, j, row] of cells) {
    series[j].values[i] = toNumber(row[measure]);
    rowAt[i][j] = row;
  }
  return { points, series, rowAt };
}

// -- the Results page's 12-column grid

export const GRID_COLUMNS = 12;

export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

function overlaps(a: Box, b: Box): boolean {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

/** The first free place (top to bottom, left to right) for a w×h widget. */
export function placeFree(boxes: Box[], w: number, h: number): { x: number; y: number } {
  const width = Math.max(1, Math.min(GRID_COLUMNS, w));
  for (let y = 0; ; y++) {
    for (let x = 0; x + width <= GRID_COLUMNS; x++) {
      const candidate = { x, y, w: width, h };
      if (!boxes.some((b) => overlaps(b, candidate))) return { x, y };
    }
  }
}

/** Move (dx, dy) or resize (dw) one widget, kept inside the grid; the widgets it lands
 * on are pushed down below it, and the rest keep their places. */
export function moveBox<T extends Box & { id: string }>(items: T[], id: string, change: { dx?: number; dy?: number; dw?: number }): T[] {
  const moving = items.find((item) => item.id === id);
  if (!moving) return items;
  const w = Math.max(1, Math.min(GRID_COLUMNS, moving.w + (change.dw ?? 0)));
  const x = Math.max(0, Math.min(GRID_COLUMNS - w, moving.x + (change.dx ?? 0)));
  const y = Math.max(0, moving.y + (change.dy ?? 0));
  return settle(items.map((item) => (item.id === id ? { ...item, x, y, w } : item)), id);
}

/** Put a widget at a grid cell (a drop), pushing down what it lands on. */
export function dropBox<T extends Box & { id: string }>(items: T[], id: string, x: number, y: number): T[] {
  const moving = items.find((item) => item.id === id);
  if (!moving) return items;
  return moveBox(items, id, { dx: x - moving.x, dy: y - moving.y });
}

/** Resolve overlaps: the fixed widget stays, the others (top first) go down until free. */
export function settle<T extends Box & { id: string }>(items: T[], fixedId: string): T[] {
  const fixed = items.find((item) => item.id === fixedId);
  const placed: T[] = fixed ? [fixed] : [];
  const rest = items.filter((item) => item.id !== fixedId).sort((a, b) => a.y - b.y || a.x - b.x);
  const moved = new Map<string, T>();
  if (fixed) moved.set(fixed.id, fixed);
  for (const item of rest) {
    let y = item.y;
    while (placed.some((p) => overlaps(p, { ...item, y }))) y++;
    const next = y === item.y ? item : { ...item, y };
    placed.push(next);
    moved.set(item.id, next);
  }
  return items.map((item) => moved.get(item.id)!);
}
