// The Emails tab on a record page: the record's mail (`GET /emails?filter[record_type]=…
// &filter[record_id]=…`) grouped in threads, the newest thread first; open a message,
// reply, or write to the record.
import { useMemo, useState } from "react";
import type { TabProps } from "../../core/registry";
import { useT } from "../../i18n";
import { RECORD_TYPES, type Email } from "../../sections/mail/api";
import { ComposeDialog } from "../../sections/mail/ComposeDialog";
import { MessageView, sender, useEmail } from "../../sections/mail/MessageView";
import "../../sections/mail/mail.css";
import { useEmails } from "../../sections/mail/useEmails";

interface Thread {
  key: string;
  emails: Email[]; // newest first
}

function threads(emails: Email[]): Thread[] {
  const byKey = new Map<string, Email[]>();
  for (const email of emails) byKey.set(email.thread_key, [...(byKey.get(email.thread_key) ?? []), email]);
  const when = (email: Email) => email.sent_at ?? "";
  return Array.from(byKey, ([key, list]) => ({ key, emails: list.sort((a, b) => when(b).localeCompare(when(a))) })).sort((a, b) =>
    when(b.emails[0]).localeCompare(when(a.emails[0])),
  );
}

/** Where a new email to the record goes: a contact's primary address, a lead's. */
function addressOf(record: Record<string, unknown>): string[] {
  if (typeof record.email === "string" && record.email) return [record.email];
  const emails = Array.isArray(record.emails) ? (record.emails as Array<{ email?: string; is_primary?: boolean }>) : [];
  const primary = emails.find((e) => e.is_primary) ?? emails[0];
  return primary?.email ? [primary.email] : [];
}

export default function RecordEmailsTab({ entity, record }: TabProps) {
  const t = useT();
  const type = RECORD_TYPES[entity];
  const filters = useMemo(() => ({ record_type: type, record_id: record.id }), [type, record.id]);
  const { emails, failed, busy, reload: load, more } = useEmails(filters);
  const [open, setOpen] = useState<string | null>(null);
  const [composing, setComposing] = useState<{ replyTo: Email | null } | null>(null);
  const [note, setNote] = useState<string | null>(null);

  const grouped = useMemo(() => threads(emails ?? []), [emails]);

  if (failed) return <p className="form-error">{t("error.loadFailed")}</p>;
  if (!emails) return <div className="loading" aria-busy="true" />;
  return (
    <div className="record-emails">
      <div className="tab-actions">
        {note && (
          <span className="muted grow" role="status">
            {note}
          </span>
        )}
        <button type="button" className="button small" onClick={() => setComposing({ replyTo: null })}>
          {t("recordEmails.new")}
        </button>
      </div>
      {grouped.length === 0 ? (
        <p className="muted empty-note">{t("recordEmails.none")}</p>
      ) : (
        <ul className="mail-threads" aria-label={t("tab.emails")}>
          {grouped.map((thread) => (
            <li key={thread.key} className="card mail-thread" data-thread={thread.key}>
              <ul className="mail-list plain">
                {thread.emails.map((email) => (
                  <li key={email.id}>
                    <button
                      type="button"
                      className="mail-item"
                      aria-expanded={open === email.id}
                      data-email={email.id}
                      onClick={() => setOpen(open === email.id ? null : email.id)}
                    >
                      <span className="mail-item-top">
                        <span className="mail-item-from">
                          <span className="mail-direction">{t(`mail.direction.${email.direction === "outgoing" ? "outgoing" : "incoming"}`)}</span>{" "}
                          {email.direction === "outgoing" ? t("mail.toWhom", { to: email.to.join(", ") }) : sender(email)}
                        </span>
                        <span className="muted">{email.sent_at ? t.dateTime(email.sent_at) : ""}</span>
                      </span>
                      <span className="mail-item-subject">{email.subject || t("mail.noSubject")}</span>
                      {open !== email.id && email.snippet && <span className="mail-item-snippet">{email.snippet}</span>}
                    </button>
                    {open === email.id && <OpenEmail id={email.id} onReply={(parent) => setComposing({ replyTo: parent })} />}
                  </li>
                ))}
              </ul>
            </li>
          ))}
        </ul>
      )}
      {more && (
        <button type="button" className="button small ghost" disabled={busy} onClick={more}>
          {t("mail.more")}
        </button>
      )}
      {composing && (
        <ComposeDialog
          related={{ type, id: record.id }}
          replyTo={composing.replyTo}
          to={composing.replyTo ? undefined : addressOf(record)}
          onClose={() => setComposing(null)}
          onSent={(sent) => {
            setComposing(null);
            setNote(t("recordEmails.sent", { subject: sent.subject }));
            load();
          }}
        />
      )}
    </div>
  );
}

function OpenEmail({ id, onReply }: { id: string; onReply: (email: Email) => void }) {
  const t = useT();
  const { email, failed } = useEmail(id);
  if (failed) return <p className="form-error">{failed}</p>;
  if (!email) return <div className="loading" aria-busy="true" />;
  return (
    <MessageView
      email={email}
      headingLevel={3}
      actions={
        <button type="button" className="button small" onClick={() => onReply(email)}>
          {t("mail.reply")}
        </button>
      }
    />
  );
}
