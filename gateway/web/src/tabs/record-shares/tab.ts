import { lazy } from "react";
import type { TabDef } from "../../core/registry";
import messages from "./messages";
import { SHARED } from "./shared";

// Id `sharing`: whom a record is shared with beyond their roles' record scope (for
// reading or editing), and sharing it with one more user or team.
const tab: TabDef = {
  id: "sharing",
  labelKey: "tab.sharing",
  order: 95,
  appliesTo: (entity) => SHARED.has(entity),
  component: lazy(() => import("./RecordSharesTab")),
  messages,
};

export default tab;
