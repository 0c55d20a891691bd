import type { SectionProps } from "../../core/registry";
import { EntityList } from "../../views/EntityList";
import { RecordPage } from "../../views/RecordPage";
import { SimilarHint } from "../../views/Similar";
import type { EntityConfig } from "../../views/config";

export const CONTACTS: EntityConfig = {
  entity: "contacts",
  section: "contacts",
  basePath: "/contacts",
  titleKey: "section.contacts",
  newKey: "contacts.new",
  countKey: "contacts.count",
  defaultSort: "full_name",
  defaultColumns: [
    { name: "full_name", width: 240 },
    { name: "account_id", width: 220 },
    { name: "job_title", width: 180 },
    { name: "emails", width: 230 },
    { name: "phones", width: 170 },
    { name: "owner_id", width: 160 },
  ],
  views: [
    { id: "all", labelKey: "contacts.view.all", params: "" },
    { id: "mine", labelKey: "contacts.view.mine", params: "f.owner_id=me" },
  ],
  title: (contact) => String(contact.full_name ?? ""),
  headerFields: ["account_id", "job_title", "emails", "phones", "owner_id"],
  HintPart: SimilarHint,
  duplicates: true,
  groups: [
    { titleKey: "contacts.group.person", fields: ["full_name", "account_id", "job_title"] },
    { titleKey: "contacts.group.reach", fields: ["emails", "phones"] },
    { titleKey: "contacts.group.links", fields: ["owner_id", "team_id"] },
  ],
};

export default function ContactsSection({ subpath }: SectionProps) {
  if (subpath.length === 0) return <EntityList config={CONTACTS} />;
  return <RecordPage key={subpath[0]} config={CONTACTS} id={subpath[0]} />;
}
