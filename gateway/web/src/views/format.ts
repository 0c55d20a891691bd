import type { FieldMeta } from "../core/meta";
import type { Translator } from "../i18n";

/** A value as the user reads it: enumerations translated, dates and numbers in their locale. */
export function formatValue(
  t: Translator,
  entity: string,
  field: FieldMeta | undefined,
  value: unknown,
  me: string,
): string {
  if (value === null || value === undefined || value === "") return "";
  switch (field?.type) {
    case "enum":
      return t.option(entity, field.name, String(value));
    case "datetime":
      return t.dateTime(String(value));
    case "date":
      return t.date(String(value));
    case "integer":
      return typeof value === "number" ? t.number(value) : String(value);
    case "uuid":
      if (value === me && (field.name === "owner_id" || field.name === "created_by")) return t("owner.me");
      return String(value).slice(0, 8);
    default:
      return String(value);
  }
}
