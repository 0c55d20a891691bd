import { lazy } from "react";
import type { TabDef } from "../../core/registry";
import messages from "./messages";

const tab: TabDef = {
  id: "similar",
  labelKey: "tab.similarLeads",
  order: 90,
  appliesTo: (entity) => entity === "leads",
  component: lazy(() => import("./SimilarLeadsTab")),
  messages,
};

export default tab;
