import { lazy } from "react";
import type { SectionDef } from "../../core/registry";
import messages from "./messages";

// Everyone signed in: each record an import writes is still checked against its
// owner's rights by the service that owns it.
const section: SectionDef = {
  id: "imports",
  labelKey: "section.imports",
  icon: "M12 21V9M7 14l5-5 5 5M5 3h14",
  route: "/imports",
  permission: null,
  order: 86,
  component: lazy(() => import("./ImportsSection")),
  messages,
};

export default section;
