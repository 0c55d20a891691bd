import { useId } from "react";
import type { FieldError } from "../core/api";
import { lookupOf } from "../core/lookup";
import { fieldLookup, type LookupKind, useLookup } from "../core/lookups";
import type { FieldMeta } from "../core/meta";
import { useT } from "../i18n";
import { ListEditor } from "./ListEditor";
import { LookupPicker } from "./LookupPicker";
import { OrderLinesEditor } from "./OrderLines";
import { fromLocalInput, toLocalInput } from "./format";

interface Props {
  entity: string;
  field: FieldMeta;
  label: string;
  value: unknown;
  errors: string[];
  onChange: (value: unknown) => void;
  /** The record being edited (a money field shows its currency). */
  record?: Record<string, unknown>;
  /** Every error of the record, for list fields whose entries have their own (`emails[1].email`). */
  fieldErrors?: FieldError[];
}

export const CURRENCIES = ["EUR", "USD", "GBP", "RUB", "CHF", "CNY", "JPY", "KZT", "BYN", "TRY", "AED", "INR"];

/** One editable field, typed by its metadata, with the server's messages beside it. */
export function FieldInput({ entity, field, label, value, errors, onChange, record, fieldErrors = [] }: Props) {
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
  if (field.type === "list" && field.items === "order_line") {
    return (
      <div className="field wide" data-field={field.name}>
        <OrderLinesEditor
          name={field.name}
          label={label}
          value={value}
          record={record}
          errors={fieldErrors.filter((e) => e.field === field.name || e.field.startsWith(`${field.name}[`))}
          onChange={onChange}
        />
      </div>
    );
  }
  if (field.type === "list") {
    return (
      <div className="field wide" data-field={field.name}>
        <ListEditor
          name={field.name}
          kind={field.items ?? "email"}
          label={label}
          value={value}
          currency={typeof record?.currency === "string" ? record.currency : null}
          errors={fieldErrors.filter((e) => e.field === field.name || e.field.startsWith(`${field.name}[`))}
          onChange={onChange}
        />
      </div>
    );
  }
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
          min={field.minimum ?? undefined}
          max={field.maximum ?? undefined}
          value={text}
          onChange={(e) => onChange(e.target.value === "" ? null : Number(e.target.value))}
        />
      );
      break;
    case "money": {
      const currency = typeof record?.currency === "string" ? record.currency : "";
      input = (
        <div className="with-suffix">
          <input
            {...common}
            type="text"
            inputMode="decimal"
            autoComplete="off"
            placeholder="0.00"
            value={text}
            onChange={(e) => onChange(e.target.value.replace(/\s/g, "").replace(",", "."))}
          />
          {currency && <span className="suffix">{currency}</span>}
        </div>
      );
      break;
    }
    case "percent":
      input = (
        <div className="with-suffix">
          <input
            {...common}
            type="text"
            inputMode="decimal"
            autoComplete="off"
            placeholder="0"
            value={text}
            onChange={(e) => onChange(e.target.value.replace(/\s/g, "").replace(",", ".").replace("%", ""))}
          />
          <span className="suffix">%</span>
        </div>
      );
      break;
    case "currency":
      // a select of the currencies Osprey offers (a record's other code stays listed)
      input = (
        <select {...common} className="currency-input" value={text} onChange={(e) => onChange(e.target.value || null)}>
          <option value="">—</option>
          {(text && !CURRENCIES.includes(text) ? [text, ...CURRENCIES] : CURRENCIES).map((c) => (
            <option key={c} value={c}>
              {c}
            </option>
          ))}
        </select>
      );
      break;
    case "date":
      input = <input {...common} type="date" value={text.slice(0, 10)} onChange={(e) => onChange(e.target.value || null)} />;
      break;
    case "datetime":
      input = (
        <input {...common} type="datetime-local" value={toLocalInput(text)} onChange={(e) => onChange(fromLocalInput(e.target.value))} />
      );
      break;
    case "boolean":
      return (
        <div className="field" data-field={field.name}>
          <label className="check">
            <input {...common} type="checkbox" checked={value === true} onChange={(e) => onChange(e.target.checked)} />
            {label}
          </label>
          {errors.length > 0 && (
            <p className="field-error" id={errorId}>
              {errors.join(" ")}
            </p>
          )}
        </div>
      );
    case "text":
      input = <textarea {...common} rows={4} value={text} maxLength={field.max_length ?? undefined} onChange={(e) => onChange(e.target.value)} />;
      break;
    default:
      if (field.type === "uuid" && lookupOf(field, record)) {
        input = (
          <LookupPicker
            key={lookupOf(field, record)}
            lookup={lookupOf(field, record) ?? ""}
            id={id}
            name={field.name}
            value={text || null}
            invalid={errors.length > 0}
            describedBy={errors.length ? errorId : undefined}
            required={field.required}
            exclude={lookupOf(field, record) === entity && typeof record?.id === "string" ? [record.id] : undefined}
            onChange={(next) => onChange(next)}
          />
        );
        break;
      }
      if (fieldLookup(field)) {
        input = <LookupSelect common={common} kind={fieldLookup(field) as LookupKind} value={text} onChange={onChange} />;
        break;
      }
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

/** A select of a lookup list's active entries (their codes are stored, their names shown);
 * a record's code the list no longer offers stays listed, so saving keeps it. */
function LookupSelect(props: {
  common: React.SelectHTMLAttributes<HTMLSelectElement> & { id: string };
  kind: LookupKind;
  value: string;
  onChange: (value: unknown) => void;
}) {
  const entries = useLookup(props.kind);
  const offered = (entries ?? []).filter((entry) => entry.is_active || entry.code === props.value);
  const known = offered.some((entry) => entry.code === props.value);
  return (
    <select {...props.common} data-lookup={props.kind} value={props.value} onChange={(e) => props.onChange(e.target.value || null)}>
      <option value="">—</option>
      {props.value && !known && <option value={props.value}>{props.value}</option>}
      {offered.map((entry) => (
        <option key={entry.code} value={entry.code}>
          {entry.name}
        </option>
      ))}
    </select>
  );
}
