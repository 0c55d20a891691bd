// How a report's groups and figures read: field labels, names for ids, dates by bucket,
// numbers in the user's locale.
import { useEffect, useMemo } from "react";
import { cachedName, requestNames, useNamesVersion } from "../../core/lookup";
import { stageLabel } from "../../core/stages";
import { addMessages, useT, type Translator } from "../../i18n";
import messages from "./messages";
import { REPORT_FIELDS, groupKey, type Aggregate, type Bucket, type GroupBy, type ReportRow } from "./spec";

addMessages(messages);

/** The lookup list an id field's values are named from. */
const ID_LOOKUPS: Record<string, string> = {
  owner_id: "users",
  team_id: "teams",
  account_id: "accounts",
  parent_id: "accounts",
  contact_id: "contacts",
  opportunity_id: "opportunities",
  lead_id: "leads",
  order_id: "orders",
  stage_id: "opportunity-stages",
  assignee_id: "users",
  completed_by: "users",
};

export function lookupForField(field: string): string | null {
  return ID_LOOKUPS[field] ?? null;
}

export function bucketLabel(locale: string, bucket: Bucket, value: string): string {
  const [y, m, d] = value.slice(0, 10).split("-").map(Number);
  const day = new Date(y, (m || 1) - 1, d || 1);
  if (Number.isNaN(day.getTime())) return value;
  switch (bucket) {
    case "year":
      return String(y);
    case "quarter":
      return `Q${Math.floor((m - 1) / 3) + 1} ${y}`;
    case "month":
      return new Intl.DateTimeFormat(locale, { month: "short", year: "numeric" }).format(day);
    default:
      return new Intl.DateTimeFormat(locale, { dateStyle: "medium" }).format(day);
  }
}

export interface Labels {
  field(name: string): string;
  group(group: GroupBy): string;
  value(group: GroupBy, value: unknown): string;
  measure(aggregate: Aggregate): string;
  number(value: number | null | undefined): string;
}

export function makeLabels(t: Translator, entity: string): Labels {
  const number = new Intl.NumberFormat(t.locale, { maximumFractionDigits: 2 });
  const field = (name: string) => t.field(entity, name);
  return {
    field,
    group: (group) => (group.bucket ? `${field(group.field)} (${t(`charts.bucket.${group.bucket}`)})` : field(group.field)),
    value: (group, value) => {
      if (value === null || value === undefined || value === "") return t("charts.empty");
      const text = String(value);
      if (group.bucket) return bucketLabel(t.locale, group.bucket, text);
      const lookup = lookupForField(group.field);
      if (lookup) {
        const name = cachedName(lookup, text);
        if (!name) return text.slice(0, 8);
        return lookup === "opportunity-stages" ? stageLabel(t, name) : name;
      }
      if (REPORT_FIELDS[entity]?.[group.field] === "number") return number.format(Number(text));
      return t.option(entity, group.field, text);
    },
    measure: (aggregate) =>
      aggregate.fn === "count" ? t("charts.fn.count") : t(`charts.fn.${aggregate.fn}`, { field: field(aggregate.field ?? "") }),
    number: (value) => (value === null || value === undefined ? t("charts.noValue") : number.format(value)),
  };
}

/** Labels for a report's rows; names of the ids in them are asked for and re-rendered in. */
export function useLabels(entity: string, groups: GroupBy[], rows: ReportRow[]): Labels {
  const t = useT();
  const version = useNamesVersion();
  useEffect(() => {
    for (const group of groups) {
      const lookup = lookupForField(group.field);
      if (!lookup) continue;
      const ids = rows.map((row) => row[groupKey(group)]).filter((v): v is string => typeof v === "string" && v !== "");
      requestNames(lookup, ids);
    }
  }, [rows, groups]);
  // eslint-disable-next-line react-hooks/exhaustive-deps
  return useMemo(() => makeLabels(t, entity), [t, entity, version]);
}
