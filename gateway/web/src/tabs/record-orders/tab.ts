import { lazy } from "react";
import type { TabDef } from "../../core/registry";
import messages from "./messages";

const tab: TabDef = {
  id: "orders",
  labelKey: "tab.orders",
  order: 40,
  appliesTo: (entity) => entity === "accounts" || entity === "opportunities",
  component: lazy(() => import("./RecordOrdersTab")),
  messages,
};

export default tab;
