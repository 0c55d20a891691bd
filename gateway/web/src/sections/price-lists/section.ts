import { lazy } from "react";
import type { SectionDef } from "../../core/registry";
import messages from "./messages";

// Price lists with their prices per product (everybody reads; managers change them).
const section: SectionDef = {
  id: "price-lists",
  labelKey: "section.priceLists",
  icon: "M20.6 13.4l-7.2 7.2a2 2 0 0 1-2.8 0L3 13V3h10l7.6 7.6a2 2 0 0 1 0 2.8zM7.5 7.5h.01",
  route: "/price-lists",
  permission: "products.read",
  order: 61,
  component: lazy(() => import("./PriceListsSection")),
  messages,
};

export default section;
