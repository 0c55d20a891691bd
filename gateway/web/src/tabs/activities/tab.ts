import { lazy } from "react";
import type { TabDef } from "../../core/registry";
import messages from "./messages";

const tab: TabDef = {
  id: "activities",
  labelKey: "tab.activities",
  order: 10,
  appliesTo: (entity) => ["leads", "accounts", "contacts", "opportunities"].includes(entity),
  component: lazy(() => import("./ActivitiesTab")),
  messages,
};

export default tab;
