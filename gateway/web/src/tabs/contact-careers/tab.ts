import { lazy } from "react";
import type { TabDef } from "../../core/registry";
import messages from "./messages";

const tab: TabDef = {
  id: "careers",
  labelKey: "tab.careers",
  order: 20,
  appliesTo: (entity) => entity === "contacts",
  component: lazy(() => import("./CareersTab")),
  messages,
};

export default tab;
