import { lazy } from "react";
import type { TabDef } from "../../core/registry";
import messages from "./messages";

const ENTITIES = ["leads", "accounts", "contacts", "opportunities", "orders", "invoices", "activities"];

const tab: TabDef = {
  id: "feed",
  labelKey: "tab.feed",
  order: 5,
  appliesTo: (entity) => ENTITIES.includes(entity),
  component: lazy(() => import("./RecordFeedTab")),
  messages,
};

export default tab;
