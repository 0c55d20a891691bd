import { lazy } from "react";
import type { TabDef } from "../../core/registry";
import messages from "./messages";

const ENTITIES = ["leads", "accounts", "contacts", "opportunities", "orders", "invoices"];

// The record's processes: where each stands, its open tasks, and starting one by hand.
const tab: TabDef = {
  id: "process",
  labelKey: "tab.process",
  order: 40,
  appliesTo: (entity) => ENTITIES.includes(entity),
  component: lazy(() => import("./RecordProcessTab")),
  messages,
};

export default tab;
