import { lazy } from "react";
import type { SectionDef } from "../../core/registry";
import messages from "./messages";

const section: SectionDef = {
  id: "invoices",
  labelKey: "section.invoices",
  icon: "M7 3h10v18l-2.5-1.5L12 21l-2.5-1.5L7 21V3zM10 8h4M10 12h4",
  route: "/invoices",
  permission: "invoices.read",
  order: 64,
  component: lazy(() => import("./InvoicesSection")),
  messages,
};

export default section;
