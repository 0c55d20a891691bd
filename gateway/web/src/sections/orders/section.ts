import { lazy } from "react";
import type { SectionDef } from "../../core/registry";
import messages from "./messages";

const section: SectionDef = {
  id: "orders",
  labelKey: "section.orders",
  icon: "M6 2h12l2 4v16H4V6l2-4zM4 6h16M9 11h6M9 15h6",
  route: "/orders",
  permission: "orders.read",
  order: 62,
  component: lazy(() => import("./OrdersSection")),
  messages,
};

export default section;
