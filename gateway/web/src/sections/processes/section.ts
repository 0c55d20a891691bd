import { lazy } from "react";
import type { SectionDef } from "../../core/registry";
import messages from "./messages";

// Administrators design and deploy processes (docs/processes.md: "Definitions are
// written and deployed by administrators"), so only they get the menu entry; a record's
// Process tab shows anyone where its processes stand.
const section: SectionDef = {
  id: "processes",
  labelKey: "section.processes",
  icon: "M5 3h4v4H5zM15 17h4v4h-4zM7 7v5h10v5M12 12V7h5",
  route: "/processes",
  permission: null,
  roles: [],
  order: 85,
  component: lazy(() => import("./ProcessesSection")),
  messages,
};

export default section;
