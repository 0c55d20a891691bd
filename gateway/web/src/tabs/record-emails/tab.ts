import { lazy } from "react";
import type { TabDef } from "../../core/registry";
import messages from "./messages";

const ENTITIES = ["leads", "contacts", "accounts", "opportunities", "orders", "invoices"];

const tab: TabDef = {
  id: "emails",
  labelKey: "tab.emails",
  order: 4,
  appliesTo: (entity) => ENTITIES.includes(entity),
  component: lazy(() => import("./RecordEmailsTab")),
  messages,
};

export default tab;
