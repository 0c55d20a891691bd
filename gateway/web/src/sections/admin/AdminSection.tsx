// Administration: users, teams and roles (administrators), the lead rules (distribution,
// scoring), the lookup lists, the web forms, social channels, webhooks and the inbound
// bus's refused messages, the orders settings, and mail templates and subject rules.
import { useEffect } from "react";
import type { SectionProps } from "../../core/registry";
import { Link, navigate } from "../../core/router";
import { useSession } from "../../core/session";
import { addMessages, useT } from "../../i18n";
import { isAdmin } from "../leads/process";
import { AuditSearch } from "../../tabs/record-audit/AuditSearch";
import { DeadLetters } from "./DeadLetters";
import { DistributionRules } from "./DistributionRules";
import { LookupsEditor } from "./LookupsEditor";
import { MailTemplates } from "./MailTemplates";
import { OrdersSettings } from "./OrdersSettings";
import adminMessages from "./messages.admin";
import inboundMessages from "./messages.inbound";
import peopleMessages from "./messages.users";
import socialMessages from "./messages.social";
import { Roles } from "./Roles";
import { ScoringRules } from "./ScoringRules";
import { SocialChannels } from "./SocialChannels";
import { SubjectRules } from "./SubjectRules";
import { Teams } from "./Teams";
import { Users } from "./Users";
import { Webhooks } from "./Webhooks";
import { WebForms } from "./WebForms";

addMessages(adminMessages);
addMessages(peopleMessages);
addMessages(socialMessages);
addMessages(inboundMessages);

const PAGES = [
  { id: "users", labelKey: "admin.users", adminOnly: true },
  { id: "teams", labelKey: "admin.teams", adminOnly: true },
  { id: "roles", labelKey: "admin.roles", adminOnly: true },
  { id: "distribution", labelKey: "admin.distribution", adminOnly: false },
  { id: "scoring", labelKey: "admin.scoring", adminOnly: false },
  { id: "lookups", labelKey: "admin.lookups", adminOnly: false },
  { id: "web-forms", labelKey: "admin.webForms", adminOnly: true },
  { id: "social-channels", labelKey: "admin.socialChannels", adminOnly: true },
  { id: "webhooks", labelKey: "admin.webhooks", adminOnly: true },
  { id: "inbound-bus", labelKey: "admin.inboundBus", adminOnly: true },
  { id: "orders", labelKey: "admin.ordersSettings", adminOnly: true },
  { id: "email-templates", labelKey: "admin.mailTemplates", adminOnly: true },
  { id: "email-rules", labelKey: "admin.subjectRules", adminOnly: true },
  { id: "audit", labelKey: "admin.audit", adminOnly: true },
];

export default function AdminSection({ subpath }: SectionProps) {
  const t = useT();
  const session = useSession();
  const admin = isAdmin(session.user);
  const pages = PAGES.filter((p) => admin || !p.adminOnly);
  const pageId = subpath[0];
  const page = pages.find((p) => p.id === pageId);

  useEffect(() => {
    if (!pageId) navigate(`/admin/${pages[0].id}`, { replace: true });
  }, [pageId]); // eslint-disable-line react-hooks/exhaustive-deps

  let content: React.ReactNode = null;
  if (page?.id === "users") content = <Users userId={subpath[1]} />;
  else if (page?.id === "teams") content = <Teams />;
  else if (page?.id === "roles") content = <Roles />;
  else if (page?.id === "distribution") content = <DistributionRules />;
  else if (page?.id === "scoring") content = <ScoringRules />;
  else if (page?.id === "lookups") content = <LookupsEditor kind={subpath[1]} />;
  else if (page?.id === "web-forms") content = <WebForms formId={subpath[1]} />;
  else if (page?.id === "social-channels") content = <SocialChannels channelId={subpath[1]} />;
  else if (page?.id === "webhooks") content = <Webhooks webhookId={subpath[1]} />;
  else if (page?.id === "inbound-bus") content = <DeadLetters />;
  else if (page?.id === "orders") content = <OrdersSettings />;
  else if (page?.id === "email-templates") content = <MailTemplates />;
  else if (page?.id === "email-rules") content = <SubjectRules />;
  else if (page?.id === "audit") content = <AuditSearch />;
  else if (pageId) content = <p className="empty-page">{PAGES.some((p) => p.id === pageId) ? t("error.forbidden") : t("error.notFound")}</p>;

  return (
    <div className="page">
      <header className="page-head">
        <h1>{t("section.admin")}</h1>
      </header>
      <div className="admin-page">
        <nav className="admin-nav" aria-label={t("section.admin")}>
          {pages.map((p) => (
            <Link key={p.id} to={`/admin/${p.id}`} aria-current={p.id === pageId ? "page" : undefined}>
              {t(p.labelKey)}
            </Link>
          ))}
        </nav>
        <div className="admin-content">{content}</div>
      </div>
    </div>
  );
}
