import { lazy } from "react";
import type { SectionDef } from "../../core/registry";
import messages from "./messages";

// No seeded role has `orders.read` yet: orders are shown to whoever sees the deals
// (`opportunities.read`); the orders service still checks every record's access.
const section: SectionDef = {
  id: "orders",
  labelKey: "section.orders",
  icon: "M6 2h12l2 4v16H4V6l2-4zM4 6h16M9 11h6M9 15h6",
  route: "/orders",
  permission: "opportunities.read",
  order: 62,
  component: lazy(() => import("./OrdersSection")),
  messages,
};

export default section;
