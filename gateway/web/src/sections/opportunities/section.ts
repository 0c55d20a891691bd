import { lazy } from "react";
import type { SectionDef } from "../../core/registry";
import messages from "./messages";

const section: SectionDef = {
  id: "opportunities",
  labelKey: "section.opportunities",
  icon: "M3 3v18h18M7 15l4-4 3 3 6-6",
  route: "/opportunities",
  permission: "opportunities.read",
  order: 40,
  component: lazy(() => import("./OpportunitiesSection")),
  messages,
};

export default section;
