import { lazy } from "react";
import type { SectionDef } from "../../core/registry";
import messages from "./messages";

// Sales managers and administrators: the lead rules, lookup lists and web forms.
const section: SectionDef = {
  id: "admin",
  labelKey: "section.admin",
  icon: "M4 21v-7M4 10V3M12 21v-9M12 8V3M20 21v-5M20 12V3M1 14h6M9 8h6M17 16h6",
  route: "/admin",
  permission: null,
  roles: ["sales_manager"],
  order: 90,
  component: lazy(() => import("./AdminSection")),
  messages,
};

export default section;
