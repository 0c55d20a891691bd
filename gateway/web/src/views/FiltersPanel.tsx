import { useState } from "react";
import { LOOKUPS, useWholeList } from "../core/lookup";
import { stageLabel } from "../core/stages";
import type { EntityMeta, FieldMeta } from "../core/meta";
import { useSearchParams } from "../core/router";
import { useT } from "../i18n";
import { ICONS, Icon } from "../shell/Icon";
import { LookupPicker } from "./LookupPicker";
import { LookupValue } from "./Value";
import { filtersOf } from "./config";

/** Typed filters from the entity's filterable fields; each change updates the address. */
export function FiltersPanel({ entity, onClose }: { entity: EntityMeta; onClose: () => void }) {
  const t = useT();
  const [params, setParams] = useSearchParams();
  const filters = filtersOf(params);
  const set = (field: string, values: string[]) => {
    const next = new URLSearchParams(params);
    if (values.length) next.set(`f.${field}`, values.join(","));
    else next.delete(`f.${field}`);
    setParams(next);
  };
  const clear = () => {
    const next = new URLSearchParams(params);
    for (const key of [...next.keys()]) if (key.startsWith("f.")) next.delete(key);
    setParams(next);
  };
  const label = (f: FieldMeta) => t.field(entity.name, f.name, f.label);
  // Choices first (stages, "mine"), typed values last: the common filters are one click away.
  const rank = (f: FieldMeta) =>
    f.type === "enum" || f.type === "boolean" ? 0 : f.type === "uuid" ? 1 : f.type === "datetime" || f.type === "date" ? 2 : 3;
  // The list's own filters (no field of the record: "reached stage") read like fields.
  const listOnly: FieldMeta[] = (entity.filters ?? []).map((f) => ({ ...f, required: false, read_only: true, filterable: true, sortable: false }));
  const optionsField = new Map((entity.filters ?? []).map((f) => [f.name, f.options_field ?? f.name]));
  const filterable = [...entity.fields.filter((f) => f.filterable), ...listOnly].sort((a, b) => rank(a) - rank(b));

  return (
    <section className="filters-panel" aria-labelledby="filters-title">
      <div className="panel-head">
        <h2 id="filters-title">{t("filters.title")}</h2>
        <button type="button" className="button ghost small" onClick={clear} disabled={!Object.keys(filters).length}>
          {t("filters.clear")}
        </button>
        <button type="button" className="icon-button" onClick={onClose} aria-label={t("action.close")}>
          <Icon path={ICONS.close} size={16} />
        </button>
      </div>
      <div className="filter-grid">
        {filterable.map((field) => {
          const values = filters[field.name] ?? [];
          if (field.type === "enum" && field.options) {
            return (
              <fieldset key={field.name} className="filter" data-filter={field.name}>
                <legend>{t("filters.anyOf", { field: label(field) })}</legend>
                <div className="chips">
                  {field.options.map((option) => (
                    <label key={option} className={values.includes(option) ? "chip on" : "chip"}>
                      <input
                        type="checkbox"
                        checked={values.includes(option)}
                        onChange={(e) =>
                          set(field.name, e.target.checked ? [...values, option] : values.filter((v) => v !== option))
                        }
                      />
                      {t.option(entity.name, optionsField.get(field.name) ?? field.name, option)}
                    </label>
                  ))}
                </div>
              </fieldset>
            );
          }
          if (field.type === "boolean") {
            return (
              <label key={field.name} className="field filter" data-filter={field.name}>
                <span className="field-label">{label(field)}</span>
                <select value={values[0] ?? ""} onChange={(e) => set(field.name, e.target.value ? [e.target.value] : [])}>
                  <option value="">{t("filters.any")}</option>
                  <option value="true">{t("value.yes")}</option>
                  <option value="false">{t("value.no")}</option>
                </select>
              </label>
            );
          }
          if (field.type === "uuid" && field.lookup && LOOKUPS[field.lookup]?.whole) {
            return <WholeFilter key={field.name} entity={entity.name} field={field} label={label(field)} values={values} onChange={(v) => set(field.name, v)} />;
          }
          if (field.type === "uuid" && field.lookup && field.name !== "team_id") {
            return <LookupFilter key={field.name} field={field} label={label(field)} values={values} onChange={(v) => set(field.name, v)} />;
          }
          if (field.type === "uuid" && (field.name === "owner_id" || field.name === "team_id")) {
            const token = field.name === "owner_id" ? "me" : "my_team";
            return (
              <div key={field.name} className="filter" data-filter={field.name}>
                <label className="check">
                  <input
                    type="checkbox"
                    checked={values.includes(token)}
                    onChange={(e) => set(field.name, e.target.checked ? [token] : [])}
                  />
                  {t(field.name === "owner_id" ? "filters.ownerIsMe" : "filters.teamIsMine")}
                </label>
              </div>
            );
          }
          if (field.type === "datetime" || field.type === "date") {
            return <DateRange key={field.name} name={field.name} label={label(field)} value={values[0] ?? ""} onChange={(v) => set(field.name, v ? [v] : [])} />;
          }
          if (field.type === "uuid") return null;
          return (
            field.filter_op === "contains" ? (
              <TextFilter key={field.name} name={field.name} contains label={label(field)} value={values[0] ?? ""} onChange={(v) => set(field.name, v.trim() ? [v.trim()] : [])} />
            ) : (
              <TextFilter key={field.name} name={field.name} label={label(field)} value={values.join(",")} onChange={(v) => set(field.name, v ? v.split(",").map((s) => s.trim()).filter(Boolean) : [])} />
            )
          );
        })}
      </div>
    </section>
  );
}

function TextFilter({ name, label, value, onChange, contains = false }: { name: string; label: string; value: string; onChange: (value: string) => void; contains?: boolean }) {
  const t = useT();
  const [draft, setDraft] = useState(value);
  return (
    <label className="field filter" data-filter={name}>
      <span className="field-label">{t(contains ? "filters.contains" : "filters.is", { field: label })}</span>
      <input
        type="text"
        value={draft}
        onChange={(e) => setDraft(e.target.value)}
        onBlur={() => draft !== value && onChange(draft)}
        onKeyDown={(e) => {
          if (e.key === "Enter") onChange(draft);
        }}
      />
    </label>
  );
}

/** A from..to range of days (the list sends `from..to`; either end may be open). */
function DateRange({ name, label, value, onChange }: { name: string; label: string; value: string; onChange: (value: string) => void }) {
  const t = useT();
  const [from = "", to = ""] = value.split("..");
  const update = (nextFrom: string, nextTo: string) => onChange(nextFrom || nextTo ? `${nextFrom}..${nextTo}` : "");
  return (
    <fieldset className="filter date-range" data-filter={name}>
      <legend>{label}</legend>
      <label>
        <span className="field-label">{t("filters.from")}</span>
        <input type="date" value={from} onChange={(e) => update(e.target.value, to)} />
      </label>
      <label>
        <span className="field-label">{t("filters.to")}</span>
        <input type="date" value={to} onChange={(e) => update(from, e.target.value)} />
      </label>
    </fieldset>
  );
}

/** Any of the records of a short list (stages): one chip each. */
function WholeFilter({ field, label, values, onChange }: { entity: string; field: FieldMeta; label: string; values: string[]; onChange: (values: string[]) => void }) {
  const t = useT();
  const items = useWholeList(field.lookup ?? "");
  if (!items.length) return null;
  return (
    <fieldset className="filter" data-filter={field.name}>
      <legend>{t("filters.anyOf", { field: label })}</legend>
      <div className="chips">
        {items.map((item) => (
          <label key={item.id} className={values.includes(item.id) ? "chip on" : "chip"}>
            <input
              type="checkbox"
              checked={values.includes(item.id)}
              onChange={(e) => onChange(e.target.checked ? [...values, item.id] : values.filter((v) => v !== item.id))}
            />
            {field.lookup === "opportunity-stages" ? stageLabel(t, item.name) : item.name}
          </label>
        ))}
      </div>
    </fieldset>
  );
}

/** Any of some linked records, chosen by name ("me" stays a shortcut for the owner). */
function LookupFilter({ field, label, values, onChange }: { field: FieldMeta; label: string; values: string[]; onChange: (values: string[]) => void }) {
  const t = useT();
  const isOwner = field.name === "owner_id";
  return (
    <fieldset className="filter lookup-filter" data-filter={field.name}>
      <legend>{t("filters.anyOf", { field: label })}</legend>
      {isOwner && (
        <label className="check">
          <input
            type="checkbox"
            checked={values.includes("me")}
            onChange={(e) => onChange(e.target.checked ? [...values.filter((v) => v !== "me"), "me"] : values.filter((v) => v !== "me"))}
          />
          {t("filters.ownerIsMe")}
        </label>
      )}
      {values.some((v) => v !== "me") && <div className="chips">
        {values
          .filter((v) => v !== "me")
          .map((id) => (
            <span key={id} className="chip on">
              <LookupValue lookup={field.lookup ?? ""} id={id} link={false} />
              <button type="button" className="icon-button" aria-label={t("filters.remove")} onClick={() => onChange(values.filter((v) => v !== id))}>
                <Icon path={ICONS.close} size={12} />
              </button>
            </span>
          ))}
      </div>}
      <label>
        <span className="visually-hidden">{t("filters.addOne", { field: label })}</span>
        <LookupPicker
          lookup={field.lookup ?? ""}
          value={null}
          placeholder={t("filters.addOne", { field: label })}
          onChange={(id) => id && !values.includes(id) && onChange([...values, id])}
        />
      </label>
    </fieldset>
  );
}
