// Mail (/mail): "needs processing" (mail that matched no record, to link by hand or
// dismiss), one message (/mail/messages/<id>), and the user's mailboxes (/mail/settings).
import { lazy, Suspense, useEffect, useState } from "react";
import type { SectionProps } from "../../core/registry";
import { Link, navigate } from "../../core/router";
import { addMessages, useT } from "../../i18n";
import chartMessages from "../../views/charts/messages";
import { ComposeDialog } from "./ComposeDialog";
import { MailSettings } from "./MailSettings";
import { MessageView, useEmail } from "./MessageView";
import { NeedsProcessing } from "./NeedsProcessing";
import "./mail.css";
import mailMessages from "./messages";

addMessages(mailMessages);
addMessages(chartMessages); // the Chart tab's label

const SectionCharts = lazy(() => import("../../views/charts/SectionCharts"));

const PAGES = [
  { id: "needs-processing", labelKey: "mail.needsProcessing" },
  { id: "settings", labelKey: "mail.mailboxes" },
  { id: "charts", labelKey: "charts.switch.chart" },
];

export default function MailSection({ subpath }: SectionProps) {
  const t = useT();
  const [composing, setComposing] = useState(false);
  const [sentNote, setSentNote] = useState<string | null>(null);
  const pageId = subpath[0];

  useEffect(() => {
    if (!pageId) navigate("/mail/needs-processing", { replace: true });
  }, [pageId]);

  let content: React.ReactNode = null;
  if (pageId === "needs-processing")
    content = <NeedsProcessing emailId={subpath[1] ?? null} onOpen={(id) => navigate(id ? `/mail/needs-processing/${encodeURIComponent(id)}` : "/mail/needs-processing")} />;
  else if (pageId === "settings") content = <MailSettings />;
  else if (pageId === "charts")
    content = (
      <Suspense fallback={<div className="loading" aria-busy="true" />}>
        <SectionCharts entity="emails" />
      </Suspense>
    );
  else if (pageId === "messages" && subpath[1]) content = <OneMessage id={subpath[1]} />;
  else if (pageId) content = <p className="empty-page">{t("error.notFound")}</p>;

  return (
    <div className="page">
      <header className="page-head">
        <h1 className="grow">{t("section.mail")}</h1>
        {sentNote && (
          <span className="muted" role="status">
            {sentNote}
          </span>
        )}
        <button type="button" className="button primary" onClick={() => setComposing(true)}>
          {t("mail.compose")}
        </button>
      </header>
      <nav className="tabs mail-tabs" aria-label={t("section.mail")}>
        {PAGES.map((p) => (
          <Link key={p.id} to={`/mail/${p.id}`} className="tab" aria-current={p.id === pageId ? "page" : undefined}>
            {t(p.labelKey)}
          </Link>
        ))}
      </nav>
      <div className="mail-page">{content}</div>
      {composing && (
        <ComposeDialog
          onClose={() => setComposing(false)}
          onSent={(email) => {
            setComposing(false);
            setSentNote(t("mail.sent", { subject: email.subject }));
          }}
        />
      )}
    </div>
  );
}

function OneMessage({ id }: { id: string }) {
  const t = useT();
  const [version, setVersion] = useState(0);
  const { email, failed } = useEmail(id, version);
  const [replying, setReplying] = useState(false);
  if (failed) return <p className="form-error">{failed}</p>;
  if (!email) return <div className="loading" aria-busy="true" />;
  return (
    <div className="card">
      <MessageView
        email={email}
        actions={
          <button type="button" className="button small" onClick={() => setReplying(true)}>
            {t("mail.reply")}
          </button>
        }
      />
      {replying && (
        <ComposeDialog
          replyTo={email}
          related={email.links[0] ? { type: email.links[0].type, id: email.links[0].id } : null}
          onClose={() => setReplying(false)}
          onSent={() => {
            setReplying(false);
            setVersion(version + 1);
          }}
        />
      )}
    </div>
  );
}
