import { lazy } from "react";
import type { SectionDef } from "../../core/registry";
import messages from "./messages";

const section: SectionDef = {
  id: "feed",
  labelKey: "section.feed",
  icon: "M4 11a9 9 0 0 1 9 9M4 4a16 16 0 0 1 16 16M5 20a1 1 0 1 0 0-2 1 1 0 0 0 0 2",
  route: "/feed",
  permission: "feed.read",
  order: 55,
  component: lazy(() => import("./FeedSection")),
  messages,
};

export default section;
