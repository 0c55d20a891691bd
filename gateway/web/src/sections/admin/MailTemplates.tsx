// Email templates (administrators): a name, a subject and a body with merge fields
// that the compose dialog fills from the record the mail is about.
import { useState } from "react";
import { ApiError, ifMatch, request } from "../../core/api";
import { addMessages, useT } from "../../i18n";
import { Problem, useItems, useProblemText } from "./common";
import mailAdminMessages from "./messages.mail";

addMessages(mailAdminMessages);

interface Template {
  id: string;
  name: string;
  subject: string;
  body: string;
  version: number;
}

const MERGE_FIELDS = [
  "{{contact.first_name}}",
  "{{contact.last_name}}",
  "{{contact.full_name}}",
  "{{contact.email}}",
  "{{account.name}}",
  "{{lead.contact_name}}",
  "{{lead.account_name}}",
  "{{user.full_name}}",
];

export function MailTemplates() {
  const t = useT();
  const explain = useProblemText();
  const { items, failed, reload } = useItems<Template>("/email-templates");
  const [editing, setEditing] = useState<Template | "new" | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);

  const remove = async (template: Template) => {
    setProblem(null);
    try {
      await request(`/email-templates/${template.id}`, { method: "DELETE" });
      setConfirming(null);
      reload();
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 401)) setProblem(explain(error));
    }
  };

  return (
    <section className="card" aria-labelledby="mail-templates-title">
      <div className="page-head">
        <h2 id="mail-templates-title" className="grow">
          {t("mailTemplates.title")}
        </h2>
        {editing === null && (
          <button type="button" className="button primary" onClick={() => setEditing("new")}>
            {t("mailTemplates.new")}
          </button>
        )}
      </div>
      <Problem text={problem} />
      {failed && <p className="form-error">{t("error.loadFailed")}</p>}
      {editing !== null && (
        <TemplateForm
          template={editing === "new" ? null : editing}
          onCancel={() => setEditing(null)}
          onDone={() => {
            setEditing(null);
            reload();
          }}
        />
      )}
      {!items && !failed && <div className="loading" aria-busy="true" />}
      {items && items.length === 0 && <p className="muted empty-note">{t("mailTemplates.none")}</p>}
      {items && items.length > 0 && (
        <table className="simple-table">
          <thead>
            <tr>
              <th scope="col">{t("mailTemplates.name")}</th>
              <th scope="col">{t("mailTemplates.subject")}</th>
              <th scope="col">{t("rules.actions")}</th>
            </tr>
          </thead>
          <tbody>
            {items.map((template) => (
              <tr key={template.id} data-template={template.id}>
                <td>{template.name}</td>
                <td>{template.subject}</td>
                <td className="row-actions">
                  <button type="button" className="button small" onClick={() => setEditing(template)}>
                    {t("admin.edit")}
                  </button>
                  {confirming === template.id ? (
                    <span className="inline-confirm">
                      {t("admin.confirmDelete", { name: template.name })}
                      <button type="button" className="button small danger" onClick={() => void remove(template)}>
                        {t("action.delete")}
                      </button>
                      <button type="button" className="button small ghost" onClick={() => setConfirming(null)}>
                        {t("action.cancel")}
                      </button>
                    </span>
                  ) : (
                    <button type="button" className="button small ghost" aria-label={t("admin.deleteNamed", { name: template.name })} onClick={() => setConfirming(template.id)}>
                      {t("action.delete")}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function TemplateForm({ template, onCancel, onDone }: { template: Template | null; onCancel: () => void; onDone: () => void }) {
  const t = useT();
  const explain = useProblemText();
  const [name, setName] = useState(template?.name ?? "");
  const [subject, setSubject] = useState(template?.subject ?? "");
  const [body, setBody] = useState(template?.body ?? "");
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const save = async () => {
    setBusy(true);
    setProblem(null);
    const payload = { name: name.trim(), subject, body };
    try {
      if (template) await request(`/email-templates/${template.id}`, { method: "PATCH", body: payload, headers: ifMatch(template.version) });
      else await request("/email-templates", { method: "POST", body: payload });
      onDone();
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 401)) setProblem(explain(error));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form
      className="card admin-form"
      aria-label={template ? t("mailTemplates.editTitle") : t("mailTemplates.new")}
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <Problem text={problem} />
      <label className="field">
        <span className="field-label">{t("mailTemplates.name")}</span>
        <input value={name} required maxLength={200} autoFocus onChange={(e) => setName(e.target.value)} />
      </label>
      <label className="field">
        <span className="field-label">{t("mailTemplates.subject")}</span>
        <input value={subject} onChange={(e) => setSubject(e.target.value)} />
      </label>
      <label className="field">
        <span className="field-label">{t("mailTemplates.body")}</span>
        <textarea value={body} rows={10} onChange={(e) => setBody(e.target.value)} />
      </label>
      <div className="hint">
        <p>{t("mailTemplates.mergeHelp")}</p>
        <p>
          {MERGE_FIELDS.map((field) => (
            <button key={field} type="button" className="chip" title={t("mailTemplates.insert")} onClick={() => setBody(`${body}${field}`)}>
              {field}
            </button>
          ))}
        </p>
      </div>
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
