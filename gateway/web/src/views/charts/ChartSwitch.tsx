// List or chart: the same records, counted. The chart view keeps the list's filters (the
// address's f.*) and is the list's page with `show=chart`.
import { Link, useLocation, useSearchParams } from "../../core/router";
import { addMessages, useT } from "../../i18n";
import messages from "./messages";

addMessages(messages);

/** The address of the list (`chart` false) or the chart view of the same filters. */
export function chartHref(basePath: string, params: URLSearchParams, chart: boolean): string {
  const next = new URLSearchParams(params);
  if (chart) next.set("show", "chart");
  else next.delete("show");
  const search = next.toString();
  return basePath + (search ? `?${search}` : "");
}

export function isChartShown(params: URLSearchParams): boolean {
  return params.get("show") === "chart";
}

/** The "Chart" link beside a section's own switch (List | Board). */
export function ChartLink({ basePath }: { basePath: string }) {
  const t = useT();
  const [params] = useSearchParams();
  const { pathname } = useLocation();
  const shown = pathname === basePath && isChartShown(params);
  return (
    <Link to={chartHref(basePath, pathname === basePath ? params : new URLSearchParams(), true)} aria-current={shown ? "page" : undefined}>
      {t("charts.switch.chart")}
    </Link>
  );
}

/** List | Chart, for a section with no switch of its own. */
export function ChartSwitch({ basePath }: { basePath: string }) {
  const t = useT();
  const [params] = useSearchParams();
  const shown = isChartShown(params);
  return (
    <nav className="segmented-links" aria-label={t("charts.switch")}>
      <Link to={chartHref(basePath, params, false)} aria-current={shown ? undefined : "page"}>
        {t("charts.switch.list")}
      </Link>
      <ChartLink basePath={basePath} />
    </nav>
  );
}
