import { useId } from "react";
import type { FieldMeta } from "../core/meta";
import { useT } from "../i18n";

interface Props {
  entity: string;
  field: FieldMeta;
  label: string;
  value: unknown;
  errors: string[];
  onChange: (value: unknown) => void;
}

/** One editable field, typed by its metadata, with the server's messages beside it. */
export function FieldInput({ entity, field, label, value, errors, onChange }: Props) {
  const t = useT();
  const id = useId();
  const errorId = `${id}-error`;
  const text = value === null || value === undefined ? "" : String(value);
  const common = {
    id,
    name: field.name,
    "aria-invalid": errors.length ? true : undefined,
    "aria-describedby": errors.length ? errorId : undefined,
    required: field.required || undefined,
  };
  let input: React.ReactNode;
  switch (field.type) {
    case "enum":
      input = (
        <select {...common} value={text} onChange={(e) => onChange(e.target.value || null)}>
          <option value="">{t("field.none")}</option>
          {(field.options ?? []).map((option) => (
            <option key={option} value={option}>
              {t.option(entity, field.name, option)}
            </option>
          ))}
        </select>
      );
      break;
    case "integer":
      input = (
        <input
          {...common}
          type="number"
          inputMode="numeric"
          step={1}
          value={text}
          onChange={(e) => onChange(e.target.value === "" ? null : Number(e.target.value))}
        />
      );
      break;
    case "text":
      input = <textarea {...common} rows={4} value={text} maxLength={field.max_length ?? undefined} onChange={(e) => onChange(e.target.value)} />;
      break;
    default:
      input = (
        <input
          {...common}
          type={field.type === "email" ? "email" : field.type === "phone" ? "tel" : "text"}
          value={text}
          maxLength={field.max_length ?? undefined}
          autoComplete="off"
          spellCheck={field.type === "string" ? undefined : false}
          onChange={(e) => onChange(e.target.value)}
        />
      );
  }
  return (
    <div className={`field${field.type === "text" ? " wide" : ""}${errors.length ? " invalid" : ""}`} data-field={field.name}>
      <label className="field-label" htmlFor={id}>
        {label}
      </label>
      {input}
      {errors.length > 0 && (
        <p className="field-error" id={errorId}>
          {errors.join(" ")}
        </p>
      )}
    </div>
  );
}
