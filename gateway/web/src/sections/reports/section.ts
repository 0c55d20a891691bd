import { lazy } from "react";
import type { SectionDef } from "../../core/registry";
import messages from "./messages";

// Everyone signed in: a report counts only the records its reader may read.
const section: SectionDef = {
  id: "reports",
  labelKey: "section.reports",
  icon: "M4 20V10M10 20V4M16 20v-7M22 20H2",
  route: "/reports",
  permission: null,
  order: 80,
  component: lazy(() => import("./ReportsSection")),
  messages,
};

export default section;
