// Processes (administrators): the library of definitions with their versions, the
// designer, and the instances with their diagrams and logs. The designer and the
// diagram viewer load bpmn-js on demand, so neither this section's first screen nor the
// rest of the app carries it.
import { lazy, Suspense } from "react";
import type { SectionProps } from "../../core/registry";
import { Link } from "../../core/router";
import { addMessages, useT } from "../../i18n";
import chartMessages from "../../views/charts/messages";
import { DefinitionPage } from "./DefinitionPage";
import { InstanceList } from "./InstanceList";
import { InstancePage } from "./InstancePage";
import { Library } from "./Library";
import processMessages from "./messages.processes";
import "./processes.css";

addMessages(processMessages);
addMessages(chartMessages); // the Chart tab's label

const Designer = lazy(() => import("./Designer"));
const SectionCharts = lazy(() => import("../../views/charts/SectionCharts"));

export default function ProcessesSection({ subpath }: SectionProps) {
  const t = useT();
  const [first, second, third] = subpath;
  const tab = first === "instances" || first === "charts" ? first : "library";

  let content: React.ReactNode;
  if (!first) content = <Library />;
  else if (first === "new") content = <Designer key="new" />;
  else if (first === "definitions" && second && third === "design") content = <Designer key={second} definitionId={second} />;
  else if (first === "definitions" && second && !third) content = <DefinitionPage key={second} definitionId={second} />;
  else if (first === "instances" && !second) content = <InstanceList />;
  else if (first === "instances" && second && !third) content = <InstancePage key={second} instanceId={second} />;
  else if (first === "charts" && !second) content = <SectionCharts entity="process_instances" />;
  else content = <p className="empty-page">{t("error.notFound")}</p>;

  return (
    <div className="page processes-page">
      <header className="page-head">
        <h1 className="grow">{t("section.processes")}</h1>
        <nav className="segmented-links" aria-label={t("section.processes")}>
          <Link to="/processes" aria-current={tab === "library" ? "page" : undefined}>
            {t("processes.library")}
          </Link>
          <Link to="/processes/instances" aria-current={tab === "instances" ? "page" : undefined}>
            {t("processes.instances")}
          </Link>
          <Link to="/processes/charts" aria-current={tab === "charts" ? "page" : undefined}>
            {t("charts.switch.chart")}
          </Link>
        </nav>
      </header>
      <Suspense fallback={<div className="loading" aria-busy="true" />}>{content}</Suspense>
    </div>
  );
}
