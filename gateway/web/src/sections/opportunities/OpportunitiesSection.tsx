import { lazy, Suspense } from "react";
import type { SectionProps } from "../../core/registry";
import { Link, useLocation } from "../../core/router";
import { useT } from "../../i18n";
import { EntityList } from "../../views/EntityList";
import { ChartLink, chartHref, isChartShown } from "../../views/charts/ChartSwitch";
import { RecordPage } from "../../views/RecordPage";
import type { EntityConfig } from "../../views/config";
import { AmountNote } from "./AmountNote";
import { OpportunityStageBar } from "./StageBar";

const Board = lazy(() => import("./Board"));

/** List or board: two views of the same deals. */
export function ListBoardSwitch() {
  const t = useT();
  const { pathname, search } = useLocation();
  const board = pathname.startsWith("/opportunities/board");
  const chart = !board && isChartShown(new URLSearchParams(search));
  return (
    <nav className="segmented-links" aria-label={t("opportunities.switch")}>
      <Link
        to={chart ? chartHref("/opportunities", new URLSearchParams(search), false) : "/opportunities"}
        aria-current={board || chart ? undefined : "page"}
      >
        {t("opportunities.switch.list")}
      </Link>
      <Link to="/opportunities/board" aria-current={board ? "page" : undefined}>
        {t("opportunities.switch.board")}
      </Link>
      <ChartLink basePath="/opportunities" />
    </nav>
  );
}

export const OPPORTUNITIES: EntityConfig = {
  entity: "opportunities",
  section: "opportunities",
  basePath: "/opportunities",
  titleKey: "section.opportunities",
  newKey: "opportunities.new",
  countKey: "opportunities.count",
  defaultSort: "-updated_at",
  defaultColumns: [
    { name: "title", width: 260 },
    { name: "account_id", width: 200 },
    { name: "stage_id", width: 150 },
    { name: "amount", width: 140 },
    { name: "close_date", width: 130 },
    { name: "owner_id", width: 160 },
    { name: "status", width: 100 },
  ],
  views: [
    { id: "all", labelKey: "opportunities.view.all", params: "" },
    { id: "open", labelKey: "opportunities.view.open", params: "f.status=open" },
    { id: "mine-open", labelKey: "opportunities.view.mineOpen", params: "f.owner_id=me&f.status=open" },
    { id: "won", labelKey: "opportunities.view.won", params: "f.status=won" },
  ],
  title: (deal) => String(deal.title ?? ""),
  headerFields: ["account_id", "amount", "close_date", "probability", "owner_id"],
  FieldNote: AmountNote,
  StageBarPart: OpportunityStageBar,
  createOnly: ["stage_id"],
  ListSwitch: ListBoardSwitch,
  groups: [
    { titleKey: "opportunities.group.deal", fields: ["title", "account_id", "contact_id", "need_type", "close_date", "stage_id"] },
    { titleKey: "opportunities.group.money", fields: ["amount", "currency", "budget", "probability", "lines"] },
    { titleKey: "opportunities.group.links", fields: ["owner_id", "team_id", "lead_id"] },
  ],
};

export default function OpportunitiesSection({ subpath }: SectionProps) {
  if (subpath.length === 0) return <EntityList config={OPPORTUNITIES} />;
  if (subpath[0] === "board")
    return (
      <Suspense fallback={<div className="loading" aria-busy="true" />}>
        <Board />
      </Suspense>
    );
  return <RecordPage key={subpath[0]} config={OPPORTUNITIES} id={subpath[0]} />;
}
