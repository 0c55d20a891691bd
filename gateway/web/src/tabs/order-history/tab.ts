import { lazy } from "react";
import type { TabDef } from "../../core/registry";
import messages from "./messages";

const tab: TabDef = {
  id: "history",
  labelKey: "tab.orderHistory",
  order: 20,
  appliesTo: (entity) => entity === "orders",
  component: lazy(() => import("./OrderHistoryTab")),
  messages,
};

export default tab;
