// A section's chart view: its figures over the list's current filter (the f.* in the
// address), each drilling down to the list of the records behind it. Loaded lazily with
// the charting library, so the list costs nothing for it.
import { useEffect, useMemo, useState } from "react";
import { ApiError, get } from "../../core/api";
import { Link, navigate, useSearchParams } from "../../core/router";
import { useSession } from "../../core/session";
import { useStages, stageLabel } from "../../core/stages";
import { useT } from "../../i18n";
import { humanizeSeconds } from "../format";
import { ChartCanvas } from "./ChartCanvas";
import { makeLabels } from "./labels";
import { ReportView, problemOf } from "./ReportView";
import { sectionFigures } from "./sections";
import { aggregatesOf, drillPath, filtersFromParams, groupsOf, NO_LIST } from "./spec";
import "./charts.css";

interface Props {
  entity: string;
}

function filterQuery(filters: Record<string, string>): string {
  const query = new URLSearchParams();
  for (const [field, value] of Object.entries(filters)) query.set(`filter[${field}]`, value);
  const text = query.toString();
  return text ? `?${text}` : "";
}

function useFigures<T>(path: string | null) {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  useEffect(() => {
    if (!path) return;
    const controller = new AbortController();
    setData(null);
    get<T>(path, controller.signal).then(
      (body) => {
        setData(body);
        setError(null);
      },
      (caught) => {
        if ((caught as Error).name !== "AbortError") setError(caught instanceof ApiError ? caught : new ApiError(0, "error", null, []));
      },
    );
    return () => controller.abort();
  }, [path]);
  return { data, error };
}

interface FunnelStage {
  stage: string;
  count: number;
  conversion_rate: number | null;
  average_seconds: number | null;
}

function LeadFunnel({ filters }: { filters: Record<string, string> }) {
  const t = useT();
  const { data, error } = useFigures<{ stages: FunnelStage[] }>(`/charts/lead-funnel${filterQuery(filters)}`);
  const percent = new Intl.NumberFormat(t.locale, { style: "percent", maximumFractionDigits: 1 });
  // The leads that reached a stage, in it now or gone on: what "entered" counts.
  const to = (stage: string) => drillPath("leads", new URLSearchParams({ ...prefixed(filters), "f.reached_stage": stage }));
  return (
    <section className="card chart-card wide" aria-labelledby="chart-funnel">
      <h2 id="chart-funnel">{t("charts.funnel")}</h2>
      {error ? (
        <p className="form-error" role="alert">{problemOf(t, error)}</p>
      ) : !data ? (
        <p className="muted">{t("charts.loading")}</p>
      ) : (
        <>
          <ChartCanvas
            kind="funnel"
            labels={data.stages.map((s) => t.option("leads", "stage", s.stage))}
            series={[{ label: t("charts.funnel.entered"), values: data.stages.map((s) => s.count) }]}
            label={t("charts.funnel")}
            height={220}
            onPick={(i) => {
              const stage = data.stages[i];
              if (stage && stage.count > 0) navigate(to(stage.stage));
            }}
          />
          <table className="chart-table">
            <thead>
              <tr>
                <th scope="col">{t("charts.funnel.stage")}</th>
                <th scope="col" className="number">{t("charts.funnel.entered")}</th>
                <th scope="col" className="number">{t("charts.funnel.conversion")}</th>
                <th scope="col" className="number">{t("charts.funnel.time")}</th>
              </tr>
            </thead>
            <tbody>
              {data.stages.map((s) => (
                <tr key={s.stage}>
                  <td>{t.option("leads", "stage", s.stage)}</td>
                  <td className="number" data-key="count">
                    {s.count > 0 ? <Link to={to(s.stage)}>{t.number(s.count)}</Link> : t.number(s.count)}
                  </td>
                  <td className="number">{s.conversion_rate === null ? t("charts.noValue") : percent.format(s.conversion_rate)}</td>
                  <td className="number">{s.average_seconds === null ? t("charts.noValue") : humanizeSeconds(t.locale, s.average_seconds)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}

interface DealSummary {
  won: number;
  lost: number;
  open: number;
  win_rate: number | null;
  average_cycle_seconds: number | null;
  stages: Array<{ stage_id: string; name: string | null; deals: number; average_seconds: number | null }>;
  lost_reasons: Array<{ reason: string | null; count: number }>;
}

function Deals({ filters }: { filters: Record<string, string> }) {
  const t = useT();
  useStages();
  const { data, error } = useFigures<DealSummary>(`/charts/deals${filterQuery(filters)}`);
  const percent = new Intl.NumberFormat(t.locale, { style: "percent", maximumFractionDigits: 1 });
  const to = (status: string) => drillPath("opportunities", new URLSearchParams({ ...prefixed(filters), "f.status": status }));
  // A reason opens its lost deals; one with a comma cannot be a list filter (a comma
  // there means "any of"), and "no reason" is no value to filter by.
  const lostTo = (reason: string | null) =>
    reason && !reason.includes(",")
      ? drillPath("opportunities", new URLSearchParams({ ...prefixed(filters), "f.status": "lost", "f.lost_reason": reason }))
      : null;
  if (error) return <p className="form-error" role="alert">{problemOf(t, error)}</p>;
  if (!data) return <p className="muted">{t("charts.loading")}</p>;
  return (
    <>
      <section className="card chart-card wide" aria-label={t("charts.deals.winRate")}>
        <div className="chart-numbers">
          {(["won", "lost", "open"] as const).map((status) => (
            <div className="chart-number" key={status}>
              <Link to={to(status)} className="chart-number-value">
                {t.number(data[status])}
              </Link>
              <span className="muted">{t(`charts.deals.${status}`)}</span>
            </div>
          ))}
          <div className="chart-number">
            <span className="chart-number-value">{data.win_rate === null ? t("charts.noValue") : percent.format(data.win_rate)}</span>
            <span className="muted">{t("charts.deals.winRate")}</span>
          </div>
          <div className="chart-number">
            <span className="chart-number-value">
              {data.average_cycle_seconds === null ? t("charts.noValue") : humanizeSeconds(t.locale, data.average_cycle_seconds)}
            </span>
            <span className="muted">{t("charts.deals.cycle")}</span>
          </div>
        </div>
      </section>
      <section className="card chart-card" aria-labelledby="chart-stays">
        <h2 id="chart-stays">{t("charts.deals.stages")}</h2>
        <table className="chart-table">
          <thead>
            <tr>
              <th scope="col">{t("charts.deals.stage")}</th>
              <th scope="col" className="number">{t("charts.deals.deals")}</th>
              <th scope="col" className="number">{t("charts.deals.time")}</th>
            </tr>
          </thead>
          <tbody>
            {data.stages.map((s) => (
              <tr key={s.stage_id}>
                <td>{s.name ? stageLabel(t, s.name) : s.stage_id.slice(0, 8)}</td>
                <td className="number">{t.number(s.deals)}</td>
                <td className="number">{s.average_seconds === null ? t("charts.noValue") : humanizeSeconds(t.locale, s.average_seconds)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section className="card chart-card" aria-labelledby="chart-lost">
        <h2 id="chart-lost">{t("charts.deals.lostReasons")}</h2>
        {data.lost_reasons.length === 0 ? (
          <p className="muted">{t("charts.none")}</p>
        ) : (
          <>
            <ChartCanvas
              kind="funnel"
              labels={data.lost_reasons.map((r) => r.reason ?? t("charts.deals.noReason"))}
              series={[{ label: t("charts.deals.lost"), values: data.lost_reasons.map((r) => r.count) }]}
              label={t("charts.deals.lostReasons")}
              height={200}
              onPick={(i) => {
                const path = lostTo(data.lost_reasons[i]?.reason ?? null);
                if (path) navigate(path);
              }}
            />
            <table className="chart-table">
              <thead>
                <tr>
                  <th scope="col">{t("charts.deals.reason")}</th>
                  <th scope="col" className="number">{t("charts.deals.lost")}</th>
                </tr>
              </thead>
              <tbody>
                {data.lost_reasons.map((r) => {
                  const path = lostTo(r.reason);
                  const label = r.reason ?? t("charts.deals.noReason");
                  return (
                    <tr key={r.reason ?? ""}>
                      <td>{path ? <Link to={path}>{label}</Link> : label}</td>
                      <td className="number" data-key="count">{t.number(r.count)}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </>
        )}
      </section>
    </>
  );
}

function prefixed(filters: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(filters).map(([k, v]) => [`f.${k}`, v]));
}

export default function SectionCharts({ entity }: Props) {
  const t = useT();
  const { user } = useSession();
  const [params] = useSearchParams();
  const search = params.toString();
  const { filters, ignored } = useMemo(
    () => filtersFromParams(new URLSearchParams(search), entity, user),
    [search, entity, user],
  );
  const figures = useMemo(() => sectionFigures(entity, filters), [entity, JSON.stringify(filters)]); // eslint-disable-line react-hooks/exhaustive-deps
  const labels = makeLabels(t, entity);
  const titleOf = (figure: (typeof figures)[number]) => {
    if (figure.titleKey) return t(figure.titleKey);
    const groups = groupsOf(figure.spec);
    const measure = labels.measure(aggregatesOf(figure.spec)[0]);
    return groups.length ? t("charts.by", { measure, group: groups.map((g) => labels.group(g)).join(", ") }) : measure;
  };
  return (
    <div className="section-charts" data-entity={entity}>
      <p className="muted chart-hint">
        {!NO_LIST.has(entity) && t("charts.drill")}
        {ignored.length > 0 && (
          <> {t("charts.ignored", { fields: ignored.map((f) => (f === "q" ? t("charts.search") : labels.field(f))).join(", ") })}</>
        )}
      </p>
      <div className="chart-grid">
        {entity === "leads" && <LeadFunnel filters={filters} />}
        {entity === "opportunities" && <Deals filters={filters} />}
        {figures.map((figure) => (
          <section key={figure.id} className={figure.wide ? "card chart-card wide" : "card chart-card"} aria-labelledby={`chart-${figure.id}`} data-figure={figure.id}>
            <h2 id={`chart-${figure.id}`}>{titleOf(figure)}</h2>
            <ReportView spec={figure.spec} title={titleOf(figure)} showTable={figure.spec.chart !== "number"} height={220} />
          </section>
        ))}
      </div>
    </div>
  );
}
