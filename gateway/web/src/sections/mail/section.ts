import { lazy } from "react";
import type { SectionDef } from "../../core/registry";
import messages from "./messages";

// Everyone signed in: their own mailboxes, and the mail that waits to be linked.
const section: SectionDef = {
  id: "mail",
  labelKey: "section.mail",
  icon: "M3 6h18v12H3zM3 7l9 6 9-6",
  route: "/mail",
  permission: null,
  order: 57,
  component: lazy(() => import("./MailSection")),
  messages,
};

export default section;
