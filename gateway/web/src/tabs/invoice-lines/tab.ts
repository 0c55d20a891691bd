import { lazy } from "react";
import type { TabDef } from "../../core/registry";
import messages from "./messages";

const tab: TabDef = {
  id: "lines",
  labelKey: "tab.invoiceLines",
  order: 5,
  appliesTo: (entity) => entity === "invoices",
  component: lazy(() => import("./InvoiceLinesTab")),
  messages,
};

export default tab;
