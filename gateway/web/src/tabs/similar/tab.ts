import { lazy } from "react";
import type { TabDef } from "../../core/registry";
import messages from "./messages";

const tab: TabDef = {
  id: "similar",
  labelKey: "tab.similar",
  order: 90,
  appliesTo: (entity) => entity === "accounts" || entity === "contacts",
  component: lazy(() => import("./SimilarTab")),
  messages,
};

export default tab;
