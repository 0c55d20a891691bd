import { lazy } from "react";
import type { TabDef } from "../../core/registry";
import messages from "./messages";

const tab: TabDef = {
  id: "invoices",
  labelKey: "tab.invoices",
  order: 30,
  appliesTo: (entity) => entity === "orders",
  component: lazy(() => import("./OrderInvoicesTab")),
  messages,
};

export default tab;
