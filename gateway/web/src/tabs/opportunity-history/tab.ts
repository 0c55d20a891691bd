import { lazy } from "react";
import type { TabDef } from "../../core/registry";
import messages from "./messages";

const tab: TabDef = {
  id: "history",
  labelKey: "tab.stageHistory",
  order: 20,
  appliesTo: (entity) => entity === "opportunities",
  component: lazy(() => import("./HistoryTab")),
  messages,
};

export default tab;
