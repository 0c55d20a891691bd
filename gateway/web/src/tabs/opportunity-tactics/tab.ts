import { lazy } from "react";
import type { TabDef } from "../../core/registry";
import messages from "./messages";

const tab: TabDef = {
  id: "tactics",
  labelKey: "tab.tactics",
  order: 30,
  appliesTo: (entity) => entity === "opportunities",
  component: lazy(() => import("./TacticsTab")),
  messages,
};

export default tab;
