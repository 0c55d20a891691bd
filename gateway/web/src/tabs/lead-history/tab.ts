import { lazy } from "react";
import type { TabDef } from "../../core/registry";
import messages from "./messages";

const tab: TabDef = {
  id: "history",
  labelKey: "tab.leadHistory",
  order: 20,
  appliesTo: (entity) => entity === "leads",
  component: lazy(() => import("./LeadHistoryTab")),
  messages,
};

export default tab;
