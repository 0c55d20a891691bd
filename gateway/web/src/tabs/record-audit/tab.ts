import { lazy } from "react";
import type { TabDef } from "../../core/registry";
import messages from "./messages";
import { AUDITED } from "./entities";

// Id `audit`: leads, deals and orders already have a `history` tab (their stage or
// status history); this one is every change of every field.
const tab: TabDef = {
  id: "audit",
  labelKey: "tab.audit",
  order: 90,
  appliesTo: (entity) => entity in AUDITED,
  component: lazy(() => import("./RecordAuditTab")),
  messages,
};

export default tab;
