import { lazy } from "react";
import type { SectionDef } from "../../core/registry";
import messages from "./messages";

const section: SectionDef = {
  id: "activities",
  labelKey: "section.activities",
  icon: "M9 11l3 3L22 4M21 12v7a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2h11",
  route: "/activities",
  permission: "activities.read",
  order: 50,
  component: lazy(() => import("./ActivitiesSection")),
  messages,
};

export default section;
