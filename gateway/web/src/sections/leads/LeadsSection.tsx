import type { SectionProps } from "../../core/registry";
import { addMessages } from "../../i18n";
import { EntityList } from "../../views/EntityList";
import { RecordPage } from "../../views/RecordPage";
import { SimilarHint } from "../../views/Similar";
import type { EntityConfig } from "../../views/config";
import { LeadStageBar } from "./LeadStageBar";
import processMessages from "./messages.process";
import { isClosed } from "./process";
import { ScoreBadge } from "./Score";

// The lead process's words arrive with the section, not with the shell.
addMessages(processMessages);

const OPEN_STAGES = "qualification,distribution,handoff,awaiting_sale,nurturing";

export const LEADS: EntityConfig = {
  entity: "leads",
  section: "leads",
  basePath: "/leads",
  titleKey: "section.leads",
  newKey: "leads.new",
  countKey: "leads.count",
  defaultSort: "-created_at",
  defaultColumns: [
    { name: "contact_name", width: 200 },
    { name: "account_name", width: 200 },
    { name: "email", width: 220 },
    { name: "phone", width: 150 },
    { name: "stage", width: 150 },
    { name: "created_at", width: 170 },
  ],
  views: [
    { id: "all", labelKey: "leads.view.all", params: "" },
    { id: "mine-open", labelKey: "leads.view.mineOpen", params: `f.owner_id=me&f.stage=${OPEN_STAGES}` },
  ],
  title: (lead) =>
    String(lead.contact_name || lead.account_name || lead.email || lead.phone || ""),
  headerFields: ["account_name", "email", "phone", "owner_id"],
  stageBar: {
    field: "stage",
    path: ["qualification", "distribution", "handoff", "awaiting_sale", "converted"],
    outcomes: ["disqualified", "nurturing"],
  },
  StageBarPart: LeadStageBar,
  TitlePart: ScoreBadge,
  HintPart: SimilarHint,
  readOnly: (lead) => isClosed(lead.stage),
  hiddenFields: ["score_reasons", "stage", "disqualification_reason"],
  groups: [
    { titleKey: "leads.group.contact", fields: ["contact_name", "account_name", "email", "phone"] },
    { titleKey: "leads.group.need", fields: ["need_type", "need_maturity", "score", "notes"] },
    { titleKey: "leads.group.origin", fields: ["source", "channel", "region", "referrer", "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"] },
    { titleKey: "leads.group.links", fields: ["owner_id", "team_id", "contact_id", "account_id", "opportunity_id"] },
  ],
};

export default function LeadsSection({ subpath }: SectionProps) {
  if (subpath.length === 0) return <EntityList config={LEADS} />;
  return <RecordPage key={subpath[0]} config={LEADS} id={subpath[0]} />;
}
