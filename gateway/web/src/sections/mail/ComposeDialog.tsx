// Compose or reply: from one of the user's mailboxes, to/cc, subject, body, a template
// whose merge fields are filled from the record, attachments (sent inline as base64).
// A failed send says why (the server's words) and can be retried: the server kept it.
import { useEffect, useId, useState } from "react";
import { ApiError, get } from "../../core/api";
import { useSession } from "../../core/session";
import { addMessages, useT } from "../../i18n";
import { Dialog, problemText } from "../../views/Dialog";
import {
  contactFields,
  failedSendId,
  fileToBase64,
  formatSize,
  listMailboxes,
  listTemplates,
  mergeFields,
  retrySend,
  sendEmail,
  splitAddresses,
  type Email,
  type EmailDetail,
  type Mailbox,
  type Template,
} from "./api";
import "./mail.css";
import mailMessages from "./messages";

addMessages(mailMessages);

export interface Related {
  type: string;
  id: string;
}

interface Props {
  related?: Related | null;
  replyTo?: Email | null;
  to?: string[];
  onClose: () => void;
  onSent: (email: EmailDetail) => void;
}

function replySubject(subject: string): string {
  return /^\s*(re|ответ)\s*:/i.test(subject) ? subject : `Re: ${subject}`;
}

/** The merge fields' values for a record, read the way the server reads them. */
async function mergeContext(related: Related | null | undefined, user: Record<string, unknown>) {
  const context: Record<string, Record<string, unknown> | undefined> = { user };
  if (!related) return context;
  try {
    if (related.type === "contact") {
      const contact = await get<Record<string, unknown>>(`/contacts/${encodeURIComponent(related.id)}`);
      context.contact = contactFields(contact);
      if (typeof contact.account_id === "string") {
        context.account = await get<Record<string, unknown>>(`/accounts/${encodeURIComponent(contact.account_id)}`).catch(() => undefined);
      }
    } else if (related.type === "account") {
      context.account = await get<Record<string, unknown>>(`/accounts/${encodeURIComponent(related.id)}`);
    } else if (related.type === "lead") {
      const lead = await get<Record<string, unknown>>(`/leads/${encodeURIComponent(related.id)}`);
      context.lead = lead;
      context.contact = contactFields({ full_name: lead.contact_name, emails: lead.email ? [{ email: lead.email }] : [] });
    }
  } catch {
    // the server fills what it can when sending
  }
  return context;
}

export function ComposeDialog({ related, replyTo, to, onClose, onSent }: Props) {
  const t = useT();
  const id = useId();
  const { user } = useSession();
  const [mailboxes, setMailboxes] = useState<Mailbox[] | null>(null);
  const [templates, setTemplates] = useState<Template[]>([]);
  const [mailboxId, setMailboxId] = useState("");
  const [toText, setToText] = useState((to ?? (replyTo?.from ? [replyTo.from] : [])).join(", "));
  const [ccText, setCcText] = useState("");
  const [subject, setSubject] = useState(replyTo ? replySubject(replyTo.subject) : "");
  const [body, setBody] = useState("");
  const [templateId, setTemplateId] = useState("");
  const [files, setFiles] = useState<File[]>([]);
  const [problem, setProblem] = useState<string | null>(null);
  const [sendId, setSendId] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    listMailboxes().then(
      (items) => {
        setMailboxes(items);
        const own = items.find((m) => m.id === replyTo?.mailbox_id) ?? items.find((m) => m.owner_id === user?.id) ?? items[0];
        if (own) setMailboxId(own.id);
      },
      (error) => {
        setMailboxes([]);
        setProblem(problemText(error, t("error.loadFailed")));
      },
    );
    listTemplates().then(setTemplates, () => setTemplates([]));
  }, []); // eslint-disable-line react-hooks/exhaustive-deps

  const applyTemplate = async (chosen: string) => {
    setTemplateId(chosen);
    const template = templates.find((item) => item.id === chosen);
    if (!template) return;
    const context = await mergeContext(related, { full_name: user?.full_name ?? null, email: user?.email ?? null });
    if (!replyTo) setSubject(mergeFields(template.subject, context));
    setBody(mergeFields(template.body, context));
  };

  const explain = (error: unknown) => {
    if (error instanceof ApiError && error.status === 503) return error.forField("smtp")[0] ?? error.message;
    return problemText(error, t("mail.sendFailed"));
  };

  const send = async () => {
    setBusy(true);
    setProblem(null);
    try {
      let sent: EmailDetail;
      if (sendId) {
        sent = await retrySend(sendId);
      } else {
        const attachments = await Promise.all(
          files.map(async (file) => ({ filename: file.name, content_type: file.type || "application/octet-stream", content_base64: await fileToBase64(file) })),
        );
        const cc = splitAddresses(ccText);
        sent = await sendEmail({
          mailbox_id: mailboxId,
          to: splitAddresses(toText),
          ...(cc.length ? { cc } : {}),
          subject,
          body,
          ...(templateId ? { template_id: templateId } : {}),
          ...(related ? { related: { type: related.type, id: related.id } } : {}),
          ...(replyTo ? { reply_to_id: replyTo.id } : {}),
          ...(attachments.length ? { attachments } : {}),
        });
      }
      onSent(sent);
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return;
      const kept = failedSendId(error);
      if (kept) setSendId(kept);
      setProblem(explain(error));
    } finally {
      setBusy(false);
    }
  };

  const locked = sendId !== null; // a kept send is retried as it was
  return (
    <Dialog
      title={replyTo ? t("mail.replyTitle") : t("mail.composeTitle")}
      onClose={onClose}
      onSubmit={() => void send()}
      wide
      className="mail-compose"
      actions={
        <>
          <button type="button" className="button ghost" onClick={onClose}>
            {t("action.cancel")}
          </button>
          <button type="submit" className="button primary" disabled={busy || !mailboxId || !toText.trim()}>
            {sendId ? t("mail.retry") : t("mail.send")}
          </button>
        </>
      }
    >
      {problem && (
        <div className="banner danger" role="alert">
          <span>
            {problem}
            {sendId && ` ${t("mail.keptToRetry")}`}
          </span>
        </div>
      )}
      {mailboxes && mailboxes.length === 0 && <p className="notice">{t("mail.noMailbox")}</p>}
      <div className="field-grid">
        <label className="field">
          <span className="field-label">{t("mail.fromMailbox")}</span>
          <select value={mailboxId} disabled={locked} onChange={(e) => setMailboxId(e.target.value)}>
            {(mailboxes ?? []).map((mailbox) => (
              <option key={mailbox.id} value={mailbox.id}>
                {mailbox.email}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span className="field-label">{t("mail.template")}</span>
          <select value={templateId} disabled={locked} onChange={(e) => void applyTemplate(e.target.value)}>
            <option value="">{t("mail.noTemplate")}</option>
            {templates.map((template) => (
              <option key={template.id} value={template.id}>
                {template.name}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span className="field-label">{t("mail.to")}</span>
          <input value={toText} disabled={locked} required onChange={(e) => setToText(e.target.value)} placeholder={t("mail.addressesHint")} />
        </label>
        <label className="field">
          <span className="field-label">{t("mail.cc")}</span>
          <input value={ccText} disabled={locked} onChange={(e) => setCcText(e.target.value)} placeholder={t("mail.addressesHint")} />
        </label>
      </div>
      <label className="field">
        <span className="field-label">{t("mail.subject")}</span>
        <input value={subject} disabled={locked} onChange={(e) => setSubject(e.target.value)} />
      </label>
      <label className="field">
        <span className="field-label">{t("mail.body")}</span>
        <textarea value={body} disabled={locked} onChange={(e) => setBody(e.target.value)} />
      </label>
      <div className="field">
        <label className="field-label" htmlFor={`${id}-files`}>
          {t("mail.attachments")}
        </label>
        <input
          id={`${id}-files`}
          type="file"
          multiple
          disabled={locked}
          onChange={(e) => {
            setFiles([...files, ...Array.from(e.target.files ?? [])]);
            e.target.value = "";
          }}
        />
        {files.length > 0 && (
          <ul className="mail-files">
            {files.map((file, index) => (
              <li key={`${file.name}-${index}`} className="chip">
                {file.name} · {formatSize(file.size)}
                {!locked && (
                  <button type="button" className="icon-button" aria-label={t("mail.removeFile", { name: file.name })} onClick={() => setFiles(files.filter((_, i) => i !== index))}>
                    ×
                  </button>
                )}
              </li>
            ))}
          </ul>
        )}
      </div>
      {related && <p className="hint">{t("mail.mergeHint")}</p>}
    </Dialog>
  );
}
