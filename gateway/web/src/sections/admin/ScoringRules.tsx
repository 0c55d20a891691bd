// Scoring rules: points (−100..100) for leads whose field meets a condition; a lead's
// score is the sum of the active rules it meets (0..100), and it lists them as reasons.
import { useEffect, useState } from "react";
import { ifMatch, request } from "../../core/api";
import { loadEntities, type FieldMeta } from "../../core/meta";
import { useT } from "../../i18n";
import { ICONS, Icon } from "../../shell/Icon";
import { Problem, useItems, useProblemText } from "./common";

interface ScoringRule {
  id: string;
  name: string;
  field: string;
  operator: string;
  value: unknown;
  points: number;
  is_active: boolean;
  version: number;
}

export const OPERATORS = ["equals", "not_equals", "in", "contains", "is_set", "is_empty", "gte", "lte"];
const NO_VALUE = new Set(["is_set", "is_empty"]);
const NOT_SCORED = new Set(["id", "version", "score", "score_reasons", "created_by"]);

/** The value as the API wants it: none, a list for `in`, a number when it is one. */
export function ruleValue(operator: string, text: string): unknown {
  if (NO_VALUE.has(operator)) return null;
  const number = (s: string) => (/^-?\d+(\.\d+)?$/.test(s.trim()) ? Number(s.trim()) : s.trim());
  if (operator === "in") return text.split(",").map((s) => s.trim()).filter(Boolean);
  if (operator === "gte" || operator === "lte" || operator === "equals" || operator === "not_equals") return number(text);
  return text.trim();
}

export function valueText(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (Array.isArray(value)) return value.join(", ");
  return String(value);
}

function useLeadFields(): FieldMeta[] {
  const [fields, setFields] = useState<FieldMeta[]>([]);
  useEffect(() => {
    loadEntities().then(
      (entities) => setFields((entities.leads?.fields ?? []).filter((f) => !NOT_SCORED.has(f.name))),
      () => setFields([]),
    );
  }, []);
  return fields;
}

export function ScoringRules() {
  const t = useT();
  const explain = useProblemText();
  const { items, failed, reload } = useItems<ScoringRule>("/scoring-rules");
  const fields = useLeadFields();
  const [editing, setEditing] = useState<ScoringRule | "new" | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const fieldLabel = (name: string) => t.field("leads", name, fields.find((f) => f.name === name)?.label);

  const act = async (work: () => Promise<unknown>) => {
    setBusy(true);
    setProblem(null);
    try {
      await work();
    } catch (error) {
      setProblem(explain(error));
    } finally {
      setBusy(false);
      reload();
    }
  };

  return (
    <section className="card" aria-labelledby="scoring-title">
      <div className="page-head">
        <h2 id="scoring-title" className="grow">
          {t("admin.scoring")}
        </h2>
        {editing === null && (
          <button type="button" className="button primary" onClick={() => setEditing("new")}>
            <Icon path={ICONS.plus} size={16} />
            {t("scoring.new")}
          </button>
        )}
      </div>
      <p className="muted small">{t("scoring.intro")}</p>
      <Problem text={problem} />
      {editing !== null && (
        <ScoringForm
          rule={editing === "new" ? null : editing}
          fields={fields}
          onDone={() => {
            setEditing(null);
            reload();
          }}
          onCancel={() => setEditing(null)}
        />
      )}
      {failed && <p className="form-error">{t("error.loadFailed")}</p>}
      {!items && !failed && <div className="loading" aria-busy="true" />}
      {items && items.length === 0 && <p className="muted empty-note">{t("scoring.none")}</p>}
      {items && items.length > 0 && (
        <table className="simple-table" aria-label={t("admin.scoring")}>
          <thead>
            <tr>
              <th>{t("rules.name")}</th>
              <th>{t("scoring.condition")}</th>
              <th>{t("scoring.points")}</th>
              <th>{t("rules.active")}</th>
              <th>
                <span className="visually-hidden">{t("rules.actions")}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {items.map((rule) => (
              <tr key={rule.id} className={rule.is_active ? undefined : "admin-row-off"} data-rule={rule.name}>
                <td>{rule.name}</td>
                <td>
                  {fieldLabel(rule.field)} {t(`scoring.op.${rule.operator}`)} {NO_VALUE.has(rule.operator) ? "" : <code>{valueText(rule.value)}</code>}
                </td>
                <td className={rule.points < 0 ? "points negative" : "points"}>
                  {rule.points > 0 ? "+" : ""}
                  {t.number(rule.points)}
                </td>
                <td>
                  <input
                    type="checkbox"
                    checked={rule.is_active}
                    disabled={busy}
                    aria-label={t("rules.activeOf", { name: rule.name })}
                    onChange={(e) =>
                      void act(() => request(`/scoring-rules/${rule.id}`, { method: "PATCH", body: { is_active: e.target.checked }, headers: ifMatch(rule.version) }))
                    }
                  />
                </td>
                <td className="row-actions">
                  <button type="button" className="button small ghost" onClick={() => setEditing(rule)}>
                    {t("admin.edit")}
                  </button>
                  <button
                    type="button"
                    className="icon-button"
                    disabled={busy}
                    aria-label={t("admin.deleteNamed", { name: rule.name })}
                    onClick={() => window.confirm(t("admin.confirmDelete", { name: rule.name })) && void act(() => request(`/scoring-rules/${rule.id}`, { method: "DELETE", headers: ifMatch(rule.version) }))}
                  >
                    <Icon path={ICONS.trash} size={16} />
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function ScoringForm({ rule, fields, onDone, onCancel }: { rule: ScoringRule | null; fields: FieldMeta[]; onDone: () => void; onCancel: () => void }) {
  const t = useT();
  const explain = useProblemText();
  const [name, setName] = useState(rule?.name ?? "");
  const [field, setField] = useState(rule?.field ?? "source");
  const [operator, setOperator] = useState(rule?.operator ?? "equals");
  const [value, setValue] = useState(valueText(rule?.value));
  const [points, setPoints] = useState(String(rule?.points ?? 10));
  const [active, setActive] = useState(rule?.is_active ?? true);
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const meta = fields.find((f) => f.name === field);

  const save = async () => {
    setBusy(true);
    setProblem(null);
    const body = { name: name.trim(), field, operator, value: ruleValue(operator, value), points: Number(points), is_active: active };
    try {
      if (rule) await request(`/scoring-rules/${rule.id}`, { method: "PATCH", body, headers: ifMatch(rule.version) });
      else await request("/scoring-rules", { method: "POST", body });
      onDone();
    } catch (error) {
      setProblem(explain(error));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form
      className="card admin-form"
      aria-label={rule ? t("scoring.editTitle") : t("scoring.new")}
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <Problem text={problem} />
      <label className="field">
        <span className="field-label">{t("rules.name")}</span>
        <input value={name} required maxLength={200} autoFocus onChange={(e) => setName(e.target.value)} />
      </label>
      <div className="inline-fields">
        <label className="field">
          <span className="field-label">{t("scoring.field")}</span>
          <select value={field} onChange={(e) => setField(e.target.value)}>
            {fields.map((f) => (
              <option key={f.name} value={f.name}>
                {t.field("leads", f.name, f.label)}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span className="field-label">{t("scoring.operator")}</span>
          <select value={operator} onChange={(e) => setOperator(e.target.value)}>
            {OPERATORS.map((op) => (
              <option key={op} value={op}>
                {t(`scoring.op.${op}`)}
              </option>
            ))}
          </select>
        </label>
        {!NO_VALUE.has(operator) &&
          (meta?.type === "enum" && operator !== "in" ? (
            <label className="field">
              <span className="field-label">{t("scoring.value")}</span>
              <select value={value} onChange={(e) => setValue(e.target.value)}>
                <option value="">{t("field.none")}</option>
                {(meta.options ?? []).map((option) => (
                  <option key={option} value={option}>
                    {t.option("leads", field, option)}
                  </option>
                ))}
              </select>
            </label>
          ) : (
            <label className="field grow">
              <span className="field-label">{t("scoring.value")}</span>
              <input value={value} placeholder={operator === "in" ? t("scoring.valueList") : ""} onChange={(e) => setValue(e.target.value)} />
            </label>
          ))}
        <label className="field">
          <span className="field-label">{t("scoring.points")}</span>
          <input type="number" min={-100} max={100} step={1} value={points} onChange={(e) => setPoints(e.target.value)} />
        </label>
      </div>
      <label className="check">
        <input type="checkbox" checked={active} onChange={(e) => setActive(e.target.checked)} />
        {t("rules.active")}
      </label>
      <div className="dialog-actions">
        <button type="button" className="button ghost" onClick={onCancel}>
          {t("action.cancel")}
        </button>
        <button type="submit" className="button primary" disabled={busy || !name.trim()}>
          {t("action.save")}
        </button>
      </div>
    </form>
  );
}
