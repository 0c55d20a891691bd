// Mail subject rules (administrators): a regular expression on the subject links the
// mail to a fixed record, or to the record its first group names (INV-(\d+) → that invoice).
import { useId, useState } from "react";
import { ApiError, request } from "../../core/api";
import { addMessages, useT } from "../../i18n";
import { LookupPicker } from "../../views/LookupPicker";
import { LookupValue } from "../../views/Value";
import { Problem, useItems, useProblemText } from "./common";
import mailAdminMessages from "./messages.mail";

addMessages(mailAdminMessages);

interface Rule {
  id: string;
  name: string;
  pattern: string;
  record_type: string;
  record_id: string | null;
  is_active: boolean;
  version: number;
}

const TYPES: Record<string, string> = {
  contact: "contacts",
  account: "accounts",
  lead: "leads",
  opportunity: "opportunities",
  order: "orders",
  invoice: "invoices",
};

export function SubjectRules() {
  const t = useT();
  const id = useId();
  const explain = useProblemText();
  const { items, failed, reload } = useItems<Rule>("/email-rules");
  const [name, setName] = useState("");
  const [pattern, setPattern] = useState("");
  const [type, setType] = useState("invoice");
  const [recordId, setRecordId] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [confirming, setConfirming] = useState<string | null>(null);

  const create = async () => {
    setBusy(true);
    setProblem(null);
    try {
      await request("/email-rules", { method: "POST", body: { name: name.trim(), pattern, record_type: type, ...(recordId ? { record_id: recordId } : {}) } });
      setName("");
      setPattern("");
      setRecordId(null);
      reload();
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 401)) setProblem(explain(error));
    } finally {
      setBusy(false);
    }
  };

  const remove = async (rule: Rule) => {
    setProblem(null);
    try {
      await request(`/email-rules/${rule.id}`, { method: "DELETE" });
      setConfirming(null);
      reload();
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 401)) setProblem(explain(error));
    }
  };

  return (
    <section className="card" aria-labelledby={`${id}-title`}>
      <div className="page-head">
        <h2 id={`${id}-title`} className="grow">
          {t("subjectRules.title")}
        </h2>
      </div>
      <p className="muted">{t("subjectRules.intro")}</p>
      <Problem text={problem} />
      {failed && <p className="form-error">{t("error.loadFailed")}</p>}
      {!items && !failed && <div className="loading" aria-busy="true" />}
      {items && items.length === 0 && <p className="muted empty-note">{t("subjectRules.none")}</p>}
      {items && items.length > 0 && (
        <table className="simple-table">
          <thead>
            <tr>
              <th scope="col">{t("subjectRules.name")}</th>
              <th scope="col">{t("subjectRules.pattern")}</th>
              <th scope="col">{t("subjectRules.recordType")}</th>
              <th scope="col">{t("subjectRules.record")}</th>
              <th scope="col">{t("rules.actions")}</th>
            </tr>
          </thead>
          <tbody>
            {items.map((rule) => (
              <tr key={rule.id} data-rule={rule.id} className={rule.is_active ? undefined : "admin-row-off"}>
                <td>{rule.name}</td>
                <td>
                  <code>{rule.pattern}</code>
                </td>
                <td>{t(`mail.type.${rule.record_type}`)}</td>
                <td>{rule.record_id ? <LookupValue lookup={TYPES[rule.record_type]} id={rule.record_id} /> : <span className="muted">{t("subjectRules.byMatch")}</span>}</td>
                <td className="row-actions">
                  {confirming === rule.id ? (
                    <span className="inline-confirm">
                      {t("admin.confirmDelete", { name: rule.name })}
                      <button type="button" className="button small danger" onClick={() => void remove(rule)}>
                        {t("action.delete")}
                      </button>
                      <button type="button" className="button small ghost" onClick={() => setConfirming(null)}>
                        {t("action.cancel")}
                      </button>
                    </span>
                  ) : (
                    <button type="button" className="button small ghost" aria-label={t("admin.deleteNamed", { name: rule.name })} onClick={() => setConfirming(rule.id)}>
                      {t("action.delete")}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form
        className="admin-form"
        aria-label={t("subjectRules.new")}
        onSubmit={(e) => {
          e.preventDefault();
          void create();
        }}
      >
        <h3 style={{ marginTop: 24 }}>{t("subjectRules.new")}</h3>
        <div className="field-grid">
          <label className="field">
            <span className="field-label">{t("subjectRules.name")}</span>
            <input value={name} required maxLength={200} onChange={(e) => setName(e.target.value)} />
          </label>
          <label className="field">
            <span className="field-label">{t("subjectRules.pattern")}</span>
            <input value={pattern} required maxLength={500} placeholder="INV-(\d+)" onChange={(e) => setPattern(e.target.value)} />
          </label>
          <label className="field">
            <span className="field-label">{t("subjectRules.recordType")}</span>
            <select
              value={type}
              onChange={(e) => {
                setType(e.target.value);
                setRecordId(null);
              }}
            >
              {Object.keys(TYPES).map((value) => (
                <option key={value} value={value}>
                  {t(`mail.type.${value}`)}
                </option>
              ))}
            </select>
          </label>
          <div className="field">
            <label className="field-label" htmlFor={`${id}-record`}>
              {t("subjectRules.fixedRecord")}
            </label>
            <LookupPicker key={type} id={`${id}-record`} lookup={TYPES[type]} value={recordId} onChange={(value) => setRecordId(value)} />
          </div>
        </div>
        <p className="hint">{t("subjectRules.patternHelp")}</p>
        <div className="dialog-actions">
          <button type="submit" className="button primary" disabled={busy || !name.trim() || !pattern.trim()}>
            {t("subjectRules.add")}
          </button>
        </div>
      </form>
    </section>
  );
}
