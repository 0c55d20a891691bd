import { lazy } from "react";
import type { SectionDef } from "../../core/registry";
import messages from "./messages";

// The home page after sign-in: the lowest order, so the shell sends "/" here.
const section: SectionDef = {
  id: "results",
  labelKey: "section.results",
  icon: "M3 3h8v8H3zM13 3h8v5h-8zM13 10h8v11h-8zM3 13h8v8H3z",
  route: "/results",
  permission: null,
  order: 0,
  component: lazy(() => import("./ResultsSection")),
  messages,
};

export default section;
