import { lazy } from "react";
import type { TabDef } from "../../core/registry";
import messages from "./messages";

const tab: TabDef = {
  id: "prices",
  labelKey: "tab.prices",
  order: 20,
  appliesTo: (entity) => entity === "products",
  component: lazy(() => import("./PricesTab")),
  messages,
};

export default tab;
