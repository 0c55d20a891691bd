import { lazy } from "react";
import type { TabDef } from "../../core/registry";
import messages from "./messages";

const tab: TabDef = {
  id: "accounting",
  labelKey: "tab.orderAccounting",
  order: 25,
  appliesTo: (entity) => entity === "orders",
  component: lazy(() => import("./OrderAccountingTab")),
  messages,
};

export default tab;
