// A report run and shown: its chart (or its number), its table, and drill-down from a
// figure to the list of the records behind it.
import { useEffect, useMemo, useState } from "react";
import { ApiError, request } from "../../core/api";
import { loadEntities } from "../../core/meta";
import { Link, navigate } from "../../core/router";
import { useT } from "../../i18n";
import { ChartCanvas, type DrawnKind } from "./ChartCanvas";
import { useLabels } from "./labels";
import {
  aggregatesOf,
  chartData,
  drillParams,
  drillPath,
  drillable,
  groupKey,
  groupsOf,
  toNumber,
  valueKey,
  type ReportResult,
  type ReportRow,
  type ReportSpec,
} from "./spec";
import "./charts.css";

interface Props {
  spec: ReportSpec;
  /** Run this saved report (by id) instead of the spec. */
  savedId?: string | null;
  /** The chart's accessible name (the widget's or report's title). */
  title?: string;
  showTable?: boolean;
  height?: number;
  /** Changes to run the report again. */
  runKey?: number;
  onResult?: (result: ReportResult | null) => void;
}

/** Run a report (POST /reports/run, or /reports/{id}/run). */
export function useReport(spec: ReportSpec, savedId?: string | null, runKey = 0) {
  const [result, setResult] = useState<ReportResult | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [loading, setLoading] = useState(true);
  const body = JSON.stringify(spec);
  useEffect(() => {
    const controller = new AbortController();
    setLoading(true);
    const path = savedId ? `/reports/${encodeURIComponent(savedId)}/run` : "/reports/run";
    request<ReportResult>(path, { method: "POST", body: savedId ? undefined : spec, signal: controller.signal }).then(
      (response) => {
        setResult(response.data);
        setError(null);
        setLoading(false);
      },
      (caught) => {
        if ((caught as Error).name === "AbortError") return;
        setResult(null);
        setError(caught instanceof ApiError ? caught : new ApiError(0, "error", null, []));
        setLoading(false);
      },
    );
    return () => controller.abort();
  }, [body, savedId, runKey]); // eslint-disable-line react-hooks/exhaustive-deps
  return { result, error, loading };
}

/** The fields the entity's list filters by (null until known). */
export function useListFilters(entity: string): Set<string> | null {
  const [fields, setFields] = useState<Set<string> | null>(null);
  useEffect(() => {
    loadEntities().then(
      (entities) =>
        setFields(
          new Set([
            ...(entities[entity]?.fields ?? []).filter((f) => f.filterable).map((f) => f.name),
            ...(entities[entity]?.filters ?? []).map((f) => f.name),
          ]),
        ),
      () => setFields(null),
    );
  }, [entity]);
  return fields;
}

export function problemOf(t: ReturnType<typeof useT>, error: ApiError): string {
  if (error.errors.length) return error.errors.map((e) => `${e.field}: ${e.message}`).join("; ");
  return error.detail || t("charts.failed");
}

export function ReportView({ spec, savedId, title, showTable = false, height, runKey, onResult }: Props) {
  const t = useT();
  const { result, error, loading } = useReport(spec, savedId, runKey);
  useEffect(() => onResult?.(result), [result]); // eslint-disable-line react-hooks/exhaustive-deps
  // A saved report runs as saved: its own spec decides the groups.
  const shown = result?.report && savedId ? result.report : spec;
  const groups = useMemo(() => groupsOf(shown), [JSON.stringify(shown)]); // eslint-disable-line react-hooks/exhaustive-deps
  const rows = result?.rows ?? [];
  const labels = useLabels(shown.entity, groups, rows);
  const listFilters = useListFilters(shown.entity);

  if (loading && !result) return <p className="muted chart-state" aria-busy="true">{t("charts.loading")}</p>;
  if (error) return <p className="form-error chart-state" role="alert">{problemOf(t, error)}</p>;
  if (!result) return null;

  const aggregates = aggregatesOf(shown);
  const kind = shown.chart ?? "bar";
  const drill = (row: ReportRow | null, groupCount?: number) => {
    const params = row && drillParams(shown, row, groupCount);
    return params && drillable(params, listFilters, shown.entity) ? drillPath(shown.entity, params) : null;
  };

  let figure: React.ReactNode = null;
  if (rows.length === 0) {
    figure = <p className="muted chart-state">{t("charts.none")}</p>;
  } else if (kind === "number") {
    // Grouped (by month, say): the latest group's figure.
    const row = rows[rows.length - 1];
    const to = drill(row);
    figure = (
      <div className="chart-numbers">
        {aggregates.map((a) => {
          const text = labels.number(toNumber(row[valueKey(a)]));
          return (
            <div key={valueKey(a)} className="chart-number">
              {to ? (
                <Link to={to} className="chart-number-value">
                  {text}
                </Link>
              ) : (
                <span className="chart-number-value">{text}</span>
              )}
              <span className="muted">
                {labels.measure(a)}
                {groups.length ? ` · ${labels.value(groups[0], row[groupKey(groups[0])])}` : ""}
              </span>
            </div>
          );
        })}
      </div>
    );
  } else if (kind !== "table") {
    const data = chartData(shown, rows);
    const series = data.series.map((s, j) => ({
      label: groups.length === 2 ? labels.value(groups[1], s.key) : labels.measure(aggregates[j]),
      values: s.values,
    }));
    const points = data.points.map((p) => (groups.length ? labels.value(groups[0], p) : ""));
    figure = (
      <ChartCanvas
        kind={kind as DrawnKind}
        labels={points}
        series={series}
        label={title || labels.field(groups[0]?.field ?? "")}
        height={height}
        onPick={(i, j) => {
          const to = drill(data.rowAt[i]?.[j] ?? null);
          if (to) navigate(to);
        }}
      />
    );
  }

  const table =
    rows.length > 0 && (kind === "table" || showTable) ? (
      <div className="chart-table-wrap">
        <table className="chart-table">
          <caption className="visually-hidden">{t("charts.table")}</caption>
          <thead>
            <tr>
              {groups.map((g) => (
                <th key={groupKey(g)} scope="col">
                  {labels.group(g)}
                </th>
              ))}
              {aggregates.map((a) => (
                <th key={valueKey(a)} scope="col" className="number">
                  {labels.measure(a)}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map((row, n) => {
              const to = drill(row);
              return (
                <tr key={n}>
                  {groups.map((g, i) => (
                    <td key={groupKey(g)}>
                      {i === 0 && to ? <Link to={to}>{labels.value(g, row[groupKey(g)])}</Link> : labels.value(g, row[groupKey(g)])}
                    </td>
                  ))}
                  {aggregates.map((a) => (
                    <td key={valueKey(a)} className="number" data-key={valueKey(a)}>
                      {labels.number(toNumber(row[valueKey(a)]))}
                    </td>
                  ))}
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    ) : null;

  return (
    <div className="report-view" aria-busy={loading}>
      {figure}
      {table}
      {result.truncated && <p className="muted">{t("charts.truncated", { count: t.number(rows.length) })}</p>}
    </div>
  );
}
