import { lazy } from "react";
import type { SectionDef } from "../../core/registry";
import messages from "./messages";

const section: SectionDef = {
  id: "accounts",
  labelKey: "section.accounts",
  icon: "M3 21h18M5 21V7l7-4 7 4v14M9 9h.01M9 13h.01M9 17h.01M15 9h.01M15 13h.01M15 17h.01",
  route: "/accounts",
  permission: "accounts.read",
  order: 20,
  component: lazy(() => import("./AccountsSection")),
  messages,
};

export default section;
