// One email: its headers, its records, its body (text as text; HTML cleaned and in a
// sandboxed frame), its attachments to download. Used by the mail section and the tab.
import { useEffect, useMemo, useState, type ReactNode } from "react";
import { ApiError, get } from "../../core/api";
import { addMessages, useT } from "../../i18n";
import { LookupValue } from "../../views/Value";
import { ENTITY_OF, attachmentUrl, emailPath, formatSize, type EmailDetail } from "./api";
import "./mail.css";
import mailMessages from "./messages";
import { mailFrameDocument } from "./safeHtml";

addMessages(mailMessages);

export function useEmail(id: string | null, version = 0): { email: EmailDetail | null; failed: string | null } {
  const t = useT();
  const [email, setEmail] = useState<EmailDetail | null>(null);
  const [failed, setFailed] = useState<string | null>(null);
  useEffect(() => {
    setEmail(null);
    setFailed(null);
    if (!id) return;
    const controller = new AbortController();
    get<EmailDetail>(emailPath(id), controller.signal).then(setEmail, (error) => {
      if ((error as Error).name === "AbortError" || (error instanceof ApiError && error.status === 401)) return;
      setFailed(error instanceof ApiError && error.status === 404 ? t("mail.notFound") : t("error.loadFailed"));
    });
    return () => controller.abort();
  }, [id, version]); // eslint-disable-line react-hooks/exhaustive-deps
  return { email, failed };
}

export function sender(email: { from: string | null; from_name: string | null }): string {
  if (email.from_name && email.from) return `${email.from_name} <${email.from}>`;
  return email.from ?? email.from_name ?? "";
}

export function EmailLinks({ email }: { email: EmailDetail | { links: EmailDetail["links"] } }) {
  const t = useT();
  if (!email.links.length) return <span className="muted">{t("mail.linkedNothing")}</span>;
  return (
    <span className="chips">
      {email.links.map((link) => (
        <span key={`${link.type}:${link.id}`} className="chip" data-link={`${link.type}:${link.id}`}>
          {t(`mail.type.${link.type}`)}: {ENTITY_OF[link.type] ? <LookupValue lookup={ENTITY_OF[link.type]} id={link.id} /> : link.id.slice(0, 8)}
        </span>
      ))}
    </span>
  );
}

interface Props {
  email: EmailDetail;
  /** Buttons under the message (reply, link, dismiss…). */
  actions?: ReactNode;
  headingLevel?: 2 | 3;
}

export function MessageView({ email, actions, headingLevel = 2 }: Props) {
  const t = useT();
  const [asText, setAsText] = useState(false);
  const frame = useMemo(() => (email.body_html ? mailFrameDocument(email.body_html) : null), [email.body_html]);
  const Heading = headingLevel === 2 ? "h2" : "h3";
  return (
    <article className="mail-message" aria-label={email.subject || t("mail.noSubject")} data-email={email.id}>
      <Heading>{email.subject || t("mail.noSubject")}</Heading>
      <dl className="mail-headers">
        <dt>{t("mail.from")}</dt>
        <dd>{sender(email)}</dd>
        <dt>{t("mail.to")}</dt>
        <dd>{email.to.join(", ")}</dd>
        {email.cc.length > 0 && (
          <>
            <dt>{t("mail.cc")}</dt>
            <dd>{email.cc.join(", ")}</dd>
          </>
        )}
        <dt>{t("mail.date")}</dt>
        <dd>{email.sent_at ? t.dateTime(email.sent_at) : ""}</dd>
        <dt>{t("mail.linkedTo")}</dt>
        <dd>
          <EmailLinks email={email} />
        </dd>
      </dl>
      {email.view !== "all" ? (
        <p className="notice">{t("mail.headersOnly")}</p>
      ) : frame && !asText ? (
        <>
          <iframe className="mail-body-html" title={t("mail.body")} sandbox="allow-popups allow-popups-to-escape-sandbox" srcDoc={frame} referrerPolicy="no-referrer" />
          {email.body_text && (
            <button type="button" className="button small ghost" onClick={() => setAsText(true)}>
              {t("mail.showText")}
            </button>
          )}
        </>
      ) : (
        <pre className="mail-body-text">{email.body_text ?? ""}</pre>
      )}
      {email.attachments && email.attachments.length > 0 && (
        <ul className="mail-attachments" aria-label={t("mail.attachments")}>
          {email.attachments.map((attachment) => (
            <li key={attachment.id}>
              {attachment.kept ? (
                <a className="button small" href={attachmentUrl(email.id, attachment.id)} download={attachment.filename ?? undefined}>
                  {attachment.filename ?? t("mail.attachment")} · {formatSize(attachment.size)}
                </a>
              ) : (
                <span className="chip" title={t("mail.attachmentNotKept")}>
                  {attachment.filename ?? t("mail.attachment")} · {formatSize(attachment.size)} — {t("mail.attachmentNotKept")}
                </span>
              )}
            </li>
          ))}
        </ul>
      )}
      {actions && <div className="mail-actions">{actions}</div>}
    </article>
  );
}
