import { lazy } from "react";
import type { SectionDef } from "../../core/registry";
import messages from "./messages";

const section: SectionDef = {
  id: "leads",
  labelKey: "section.leads",
  icon: "M22 12h-4l-3 9L9 3l-3 9H2",
  route: "/leads",
  permission: "leads.read",
  order: 10,
  component: lazy(() => import("./LeadsSection")),
  messages,
};

export default section;
