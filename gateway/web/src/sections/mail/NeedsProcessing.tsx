// "Needs processing": mail that matched no record. Open one, link it to a record by
// hand (a lookup picker) or dismiss it; either way it leaves the list.
import { useId, useState } from "react";
import { ApiError, request } from "../../core/api";
import { addMessages, useT } from "../../i18n";
import { LookupPicker } from "../../views/LookupPicker";
import { problemText } from "../../views/Dialog";
import { ENTITY_OF, emailPath, type Email, type EmailDetail } from "./api";
import { ComposeDialog } from "./ComposeDialog";
import { MessageView, sender, useEmail } from "./MessageView";
import "./mail.css";
import mailMessages from "./messages";
import { useEmails } from "./useEmails";

addMessages(mailMessages);

const NEEDS_PROCESSING = { needs_processing: "true" };
const LINK_TYPES = ["contact", "account", "lead", "opportunity", "order", "invoice"];

export function EmailList({ emails, selected, onSelect, label }: { emails: Email[]; selected: string | null; onSelect: (id: string) => void; label: string }) {
  const t = useT();
  return (
    <ul className="mail-list" aria-label={label}>
      {emails.map((email) => (
        <li key={email.id}>
          <button type="button" className="mail-item" aria-current={email.id === selected ? "true" : undefined} data-email={email.id} onClick={() => onSelect(email.id)}>
            <span className="mail-item-top">
              <span className="mail-item-from">{email.direction === "outgoing" ? t("mail.toWhom", { to: email.to.join(", ") }) : sender(email)}</span>
              <span className="muted">{email.sent_at ? t.dateTime(email.sent_at) : ""}</span>
            </span>
            <span className="mail-item-subject">{email.subject || t("mail.noSubject")}</span>
            {email.snippet && <span className="mail-item-snippet">{email.snippet}</span>}
          </button>
        </li>
      ))}
    </ul>
  );
}

export function NeedsProcessing({ emailId, onOpen }: { emailId: string | null; onOpen: (id: string | null) => void }) {
  const t = useT();
  const { emails, failed, busy, reload, more } = useEmails(NEEDS_PROCESSING);
  const [status, setStatus] = useState<string | null>(null);

  const done = (message: string) => {
    setStatus(message);
    onOpen(null);
    reload();
  };

  return (
    <div className="mail-layout">
      <div>
        {status && (
          <p className="notice" role="status">
            {status}
          </p>
        )}
        {failed && <p className="form-error">{t("error.loadFailed")}</p>}
        {!emails && !failed && <div className="loading" aria-busy="true" />}
        {emails && emails.length === 0 && <p className="empty-note muted">{t("mail.nothingToProcess")}</p>}
        {emails && emails.length > 0 && <EmailList emails={emails} selected={emailId} onSelect={onOpen} label={t("mail.needsProcessing")} />}
        {more && (
          <button type="button" className="button small ghost" disabled={busy} onClick={more}>
            {t("mail.more")}
          </button>
        )}
      </div>
      <div className="card">{emailId ? <ProcessOne key={emailId} emailId={emailId} onDone={done} /> : <p className="empty-note muted mail-message">{t("mail.pickOne")}</p>}</div>
    </div>
  );
}

function ProcessOne({ emailId, onDone }: { emailId: string; onDone: (message: string) => void }) {
  const t = useT();
  const id = useId();
  const { email, failed } = useEmail(emailId);
  const [type, setType] = useState("contact");
  const [recordId, setRecordId] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [replying, setReplying] = useState(false);

  const act = async (what: () => Promise<unknown>, message: string) => {
    setBusy(true);
    setProblem(null);
    try {
      await what();
      onDone(message);
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 401)) setProblem(problemText(error, t("error.saveFailedRecord")));
    } finally {
      setBusy(false);
    }
  };

  if (failed) return <p className="form-error mail-message">{failed}</p>;
  if (!email) return <div className="loading" aria-busy="true" />;
  return (
    <>
      <MessageView
        email={email}
        actions={
          <>
            <button type="button" className="button small" onClick={() => setReplying(true)}>
              {t("mail.reply")}
            </button>
            <button
              type="button"
              className="button small ghost"
              disabled={busy}
              onClick={() => void act(() => request<EmailDetail>(`${emailPath(email.id)}/dismiss`, { method: "POST" }), t("mail.dismissed"))}
            >
              {t("mail.dismiss")}
            </button>
          </>
        }
      />
      <form
        className="mail-link-form mail-message"
        aria-label={t("mail.linkTitle")}
        onSubmit={(e) => {
          e.preventDefault();
          if (recordId)
            void act(() => request<EmailDetail>(`${emailPath(email.id)}/links`, { method: "POST", body: { type, id: recordId } }), t("mail.linked"));
        }}
      >
        <label className="field">
          <span className="field-label">{t("mail.linkType")}</span>
          <select
            value={type}
            onChange={(e) => {
              setType(e.target.value);
              setRecordId(null);
            }}
          >
            {LINK_TYPES.map((value) => (
              <option key={value} value={value}>
                {t(`mail.type.${value}`)}
              </option>
            ))}
          </select>
        </label>
        <div className="field">
          <label className="field-label" htmlFor={`${id}-record`}>
            {t("mail.linkRecord")}
          </label>
          <LookupPicker key={type} id={`${id}-record`} lookup={ENTITY_OF[type]} value={recordId} onChange={(value) => setRecordId(value)} />
        </div>
        <button type="submit" className="button primary" disabled={busy || !recordId}>
          {t("mail.link")}
        </button>
        {problem && (
          <p className="banner danger" role="alert">
            {problem}
          </p>
        )}
      </form>
      {replying && <ComposeDialog replyTo={email} onClose={() => setReplying(false)} onSent={() => setReplying(false)} />}
    </>
  );
}
