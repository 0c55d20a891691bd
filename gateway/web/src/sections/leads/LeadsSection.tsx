import type { SectionProps } from "../../core/registry";
import { EntityList } from "../../views/EntityList";
import { RecordPage } from "../../views/RecordPage";
import type { EntityConfig } from "../../views/config";

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
  headerFields: ["account_name", "email", "phone", "owner_id", "score"],
  stageBar: {
    field: "stage",
    path: ["qualification", "distribution", "handoff", "awaiting_sale", "converted"],
    outcomes: ["disqualified", "nurturing"],
  },
  groups: [
    { titleKey: "leads.group.contact", fields: ["contact_name", "account_name", "email", "phone"] },
    { titleKey: "leads.group.need", fields: ["stage", "need_type", "need_maturity", "score", "disqualification_reason", "notes"] },
    { titleKey: "leads.group.origin", fields: ["source", "channel", "referrer", "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"] },
    { titleKey: "leads.group.links", fields: ["owner_id", "team_id", "contact_id", "account_id", "opportunity_id"] },
  ],
};

export default function LeadsSection({ subpath }: SectionProps) {
  if (subpath.length === 0) return <EntityList config={LEADS} />;
  return <RecordPage key={subpath[0]} config={LEADS} id={subpath[0]} />;
}
