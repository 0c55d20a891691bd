// What each section's chart view counts, over the list's current filter.
import type { ReportSpec } from "./spec";

export interface SectionFigure {
  id: string;
  spec: ReportSpec;
  /** A title of its own; without one it reads "<measure> by <group>". */
  titleKey?: string;
  /** Grid columns of the chart view's 12 it takes. */
  wide?: boolean;
}

const OPEN_ACTIVITY = "not_started,in_progress";
const UNPAID_INVOICE = "issued,overdue";

function day(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** The reports of a section's chart view; the section's filters apply to each (a
 * figure's own filter, such as "overdue", is added to them and wins on the same field). */
export function sectionFigures(entity: string, filters: Record<string, string>, now: Date = new Date()): SectionFigure[] {
  const over = (own: Record<string, string> = {}) => ({ ...filters, ...own });
  const yesterday = day(new Date(now.getTime() - 86400000));
  const month = { field: "created_at", bucket: "month" as const };
  const count = { fn: "count" as const };
  switch (entity) {
    case "products":
      return [
        { id: "category", spec: { entity, filters: over(), group_by: [{ field: "category" }], chart: "bar" }, wide: true },
        { id: "active", spec: { entity, filters: over(), group_by: [{ field: "is_active" }], chart: "pie" } },
        { id: "month", spec: { entity, filters: over(), group_by: [month], chart: "line" } },
      ];
    case "emails":
      return [
        {
          id: "month",
          spec: { entity, filters: over(), group_by: [{ field: "sent_at", bucket: "month" }, { field: "direction" }], chart: "bar" },
          wide: true,
        },
        { id: "user", spec: { entity, filters: over(), group_by: [{ field: "owner_id" }, { field: "direction" }], chart: "bar" } },
        { id: "direction", spec: { entity, filters: over(), group_by: [{ field: "direction" }], chart: "pie" } },
      ];
    case "process_instances":
      return [
        {
          id: "process",
          spec: { entity, filters: over(), group_by: [{ field: "name" }, { field: "state" }], chart: "bar" },
          wide: true,
        },
        { id: "month", spec: { entity, filters: over(), group_by: [{ field: "started_at", bucket: "month" }], chart: "line" } },
        {
          id: "tasks-overdue",
          titleKey: "charts.tasksOverdue",
          spec: { entity: "process_tasks", filters: { state: "open", due_at: `..${now.toISOString()}` }, group_by: [{ field: "assignee_id" }], chart: "bar" },
        },
        {
          id: "tasks-done",
          titleKey: "charts.tasksDone",
          spec: { entity: "process_tasks", filters: { state: "completed" }, group_by: [{ field: "assignee_id" }], chart: "bar" },
        },
      ];
    case "leads":
      return [
        { id: "source", spec: { entity, filters: over(), group_by: [{ field: "source" }], chart: "bar" } },
        { id: "stage", spec: { entity, filters: over(), group_by: [{ field: "stage" }], chart: "bar" } },
        { id: "owner", spec: { entity, filters: over(), group_by: [{ field: "owner_id" }], chart: "bar" } },
        { id: "month", spec: { entity, filters: over(), group_by: [month], chart: "line" } },
      ];
    case "opportunities":
      return [
        {
          id: "stage",
          spec: { entity, filters: over(), group_by: [{ field: "stage_id" }], aggregates: [count, { fn: "sum", field: "amount" }], chart: "bar" },
          wide: true,
        },
        { id: "status", spec: { entity, filters: over(), group_by: [{ field: "status" }], chart: "pie" } },
        { id: "owner", spec: { entity, filters: over(), group_by: [{ field: "owner_id" }, { field: "status" }], chart: "bar" } },
      ];
    case "orders":
    case "invoices": {
      const figures: SectionFigure[] = [
        { id: "status", spec: { entity, filters: over(), group_by: [{ field: "status" }], aggregates: [count, { fn: "sum", field: "total" }], chart: "bar" } },
        { id: "month", spec: { entity, filters: over(), group_by: [month], aggregates: [count, { fn: "sum", field: "total" }], chart: "line" } },
      ];
      if (entity === "invoices")
        figures.push({
          id: "overdue",
          titleKey: "charts.overdueAmount",
          spec: {
            entity,
            filters: over({ status: UNPAID_INVOICE, due_date: `..${yesterday}` }),
            aggregates: [count, { fn: "sum", field: "total" }, { fn: "sum", field: "paid_amount" }],
            chart: "number",
          },
        });
      return figures;
    }
    case "activities":
      return [
        { id: "owner", spec: { entity, filters: over(), group_by: [{ field: "owner_id" }, { field: "status" }], chart: "bar" }, wide: true },
        {
          id: "overdue",
          titleKey: "charts.activities.overdue",
          spec: { entity, filters: over({ status: OPEN_ACTIVITY, due_at: `..${now.toISOString()}` }), group_by: [{ field: "owner_id" }], chart: "bar" },
        },
        { id: "type", spec: { entity, filters: over(), group_by: [{ field: "type" }], chart: "pie" } },
      ];
    case "accounts":
      return [
        { id: "type", spec: { entity, filters: over(), group_by: [{ field: "type" }], chart: "pie" } },
        { id: "industry", spec: { entity, filters: over(), group_by: [{ field: "industry" }], chart: "bar" } },
        { id: "owner", spec: { entity, filters: over(), group_by: [{ field: "owner_id" }], chart: "bar" } },
        { id: "month", spec: { entity, filters: over(), group_by: [month], chart: "line" } },
      ];
    case "contacts":
      return [
        { id: "owner", spec: { entity, filters: over(), group_by: [{ field: "owner_id" }], chart: "bar" } },
        { id: "month", spec: { entity, filters: over(), group_by: [month], chart: "line" } },
      ];
    default:
      return [];
  }
}
