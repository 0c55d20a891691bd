import { lazy } from "react";
import type { TabDef } from "../../core/registry";
import messages from "./messages";

const tab: TabDef = {
  id: "contacts",
  labelKey: "tab.accountContacts",
  order: 5,
  appliesTo: (entity) => entity === "accounts",
  component: lazy(() => import("./AccountContactsTab")),
  messages,
};

export default tab;
