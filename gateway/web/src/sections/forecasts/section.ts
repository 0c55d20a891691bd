import { lazy } from "react";
import type { SectionDef } from "../../core/registry";
import messages from "./messages";

const section: SectionDef = {
  id: "forecasts",
  labelKey: "section.forecasts",
  icon: "M3 17l6-6 4 4 8-8M14 7h7v7",
  route: "/forecasts",
  permission: "opportunities.read",
  order: 45,
  component: lazy(() => import("./ForecastsSection")),
  messages,
};

export default section;
