// The Results page's widgets as the API keeps them (GET/PUT /dashboards/results).
import { ifMatch, request } from "../../core/api";
import { placeFree, type Box, type ReportSpec } from "./spec";

export type WidgetKind = "number" | "chart" | "list";

export interface Widget extends Box {
  id: string;
  kind: WidgetKind;
  title: string;
  report: ReportSpec;
}

export interface ResultsPage {
  id: string | null;
  name: string;
  widgets: Widget[];
  source: "mine" | "team" | "built_in";
  version: number;
  is_team_default: boolean;
}

export function kindOf(spec: ReportSpec): WidgetKind {
  return spec.chart === "number" ? "number" : spec.chart === "table" ? "list" : "chart";
}

/** A new widget for a report, in the first free place of the page. */
export function newWidget(widgets: Widget[], spec: ReportSpec, title: string, kind: WidgetKind = kindOf(spec)): Widget {
  const w = kind === "number" ? 3 : 6;
  const h = kind === "number" ? 2 : 4;
  const { x, y } = placeFree(widgets, w, h);
  return { id: `w${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`, kind, title, report: spec, x, y, w, h };
}

export async function loadResults(): Promise<ResultsPage> {
  return (await request<ResultsPage>("/dashboards/results")).data;
}

/** Save the user's own page; a page that was the team's or Osprey's becomes theirs (version 0). */
export async function saveResults(page: ResultsPage, widgets: Widget[]): Promise<ResultsPage> {
  const version = page.source === "mine" ? page.version : 0;
  const response = await request<ResultsPage>("/dashboards/results", {
    method: "PUT",
    body: { name: page.name, widgets },
    headers: ifMatch(version),
  });
  return response.data;
}

export async function shareAsTeamDefault(page: ResultsPage, widgets: Widget[]): Promise<ResultsPage> {
  return (await request<ResultsPage>("/dashboards/team-results", { method: "PUT", body: { name: page.name, widgets } })).data;
}

/** Put a report on the user's Results page. */
export async function addToResults(spec: ReportSpec, title: string): Promise<ResultsPage> {
  const page = await loadResults();
  return saveResults(page, [...page.widgets, newWidget(page.widgets, spec, title)]);
}
