import type { SectionProps } from "../../core/registry";
import { EntityList } from "../../views/EntityList";
import { RecordPage } from "../../views/RecordPage";
import { SimilarHint } from "../../views/Similar";
import type { EntityConfig } from "../../views/config";

export const ACCOUNTS: EntityConfig = {
  entity: "accounts",
  section: "accounts",
  basePath: "/accounts",
  titleKey: "section.accounts",
  newKey: "accounts.new",
  countKey: "accounts.count",
  defaultSort: "name",
  defaultColumns: [
    { name: "name", width: 260 },
    { name: "type", width: 130 },
    { name: "industry", width: 160 },
    { name: "phone", width: 150 },
    { name: "email", width: 220 },
    { name: "owner_id", width: 160 },
  ],
  views: [
    { id: "all", labelKey: "accounts.view.all", params: "" },
    { id: "mine", labelKey: "accounts.view.mine", params: "f.owner_id=me" },
    { id: "customers", labelKey: "accounts.view.customers", params: "f.type=customer" },
  ],
  title: (account) => String(account.name ?? ""),
  headerFields: ["type", "industry", "web", "phone", "email", "owner_id"],
  HintPart: SimilarHint,
  duplicates: true,
  groups: [
    { titleKey: "accounts.group.main", fields: ["name", "type", "industry", "parent_id"] },
    { titleKey: "accounts.group.reach", fields: ["web", "phone", "email", "addresses"] },
    { titleKey: "accounts.group.links", fields: ["owner_id", "team_id"] },
  ],
};

export default function AccountsSection({ subpath }: SectionProps) {
  if (subpath.length === 0) return <EntityList config={ACCOUNTS} />;
  return <RecordPage key={subpath[0]} config={ACCOUNTS} id={subpath[0]} />;
}
