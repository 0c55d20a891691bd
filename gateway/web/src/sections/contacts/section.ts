import { lazy } from "react";
import type { SectionDef } from "../../core/registry";
import messages from "./messages";

const section: SectionDef = {
  id: "contacts",
  labelKey: "section.contacts",
  icon: "M17 21v-2a4 4 0 0 0-4-4H5a4 4 0 0 0-4 4v2M9 11a4 4 0 1 0 0-8 4 4 0 0 0 0 8zM23 21v-2a4 4 0 0 0-3-3.87M16 3.13a4 4 0 0 1 0 7.75",
  route: "/contacts",
  permission: "contacts.read",
  order: 30,
  component: lazy(() => import("./ContactsSection")),
  messages,
};

export default section;
