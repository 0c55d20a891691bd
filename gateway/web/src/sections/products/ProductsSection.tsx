import type { SectionProps } from "../../core/registry";
import { EntityList } from "../../views/EntityList";
import { RecordPage } from "../../views/RecordPage";
import type { EntityConfig } from "../../views/config";

export const PRODUCTS: EntityConfig = {
  entity: "products",
  section: "products",
  basePath: "/products",
  titleKey: "section.products",
  newKey: "products.new",
  countKey: "products.count",
  defaultSort: "name",
  defaultColumns: [
    { name: "code", width: 130 },
    { name: "name", width: 260 },
    { name: "category", width: 160 },
    { name: "price", width: 140 },
    { name: "tax_rate", width: 110 },
    { name: "is_active", width: 90 },
  ],
  views: [
    { id: "all", labelKey: "products.view.all", params: "" },
    { id: "active", labelKey: "products.view.active", params: "f.is_active=true" },
  ],
  title: (product) => [product.code, product.name].filter(Boolean).join(" — "),
  headerFields: ["category", "unit", "price", "tax_rate", "is_active"],
  groups: [
    { titleKey: "products.group.main", fields: ["code", "name", "unit", "category", "is_active"] },
    { titleKey: "products.group.sale", fields: ["tax_rate", "description"] },
  ],
};

export default function ProductsSection({ subpath }: SectionProps) {
  if (subpath.length === 0) return <EntityList config={PRODUCTS} />;
  return <RecordPage key={subpath[0]} config={PRODUCTS} id={subpath[0]} />;
}
