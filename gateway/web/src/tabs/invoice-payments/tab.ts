import { lazy } from "react";
import type { TabDef } from "../../core/registry";
import messages from "./messages";

const tab: TabDef = {
  id: "payments",
  labelKey: "tab.payments",
  order: 20,
  appliesTo: (entity) => entity === "invoices",
  component: lazy(() => import("./PaymentsTab")),
  messages,
};

export default tab;
