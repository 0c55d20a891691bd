import { lazy } from "react";
import type { SectionDef } from "../../core/registry";
import messages from "./messages";

const section: SectionDef = {
  id: "products",
  labelKey: "section.products",
  icon: "M21 8l-9-5-9 5 9 5 9-5zM3 8v8l9 5 9-5V8M12 13v8",
  route: "/products",
  permission: "products.read",
  order: 60,
  component: lazy(() => import("./ProductsSection")),
  messages,
};

export default section;
