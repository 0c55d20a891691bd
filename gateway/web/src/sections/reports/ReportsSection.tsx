// The report builder: what to count (an entity, the same filters as lists, up to two
// groupings, figures), how to show it (a chart type); run it, save it, share it with the
// team, put it on the Results page; and the saved reports to open.
import { useEffect, useId, useState, type ReactNode } from "react";
import { ApiError, get, ifMatch, request } from "../../core/api";
import type { SectionProps } from "../../core/registry";
import { Link, navigate } from "../../core/router";
import { useSession } from "../../core/session";
import { useT } from "../../i18n";
import { ICONS, Icon } from "../../shell/Icon";
import { problemText } from "../../views/Dialog";
import { ReportView } from "../../views/charts/ReportView";
import { addToResults } from "../../views/charts/dashboard";
import { exportReport } from "../../views/charts/exportFile";
import "../../views/charts/labels";
import "./reports.css";
import {
  BUCKETS,
  CHART_KINDS,
  EMPTY_BUILDER,
  FUNCTIONS,
  REPORT_ENTITIES,
  REPORT_FIELDS,
  buildSpec,
  builderOf,
  isDateKind,
  type BuilderState,
  type FieldKind,
  type ReportSpec,
  type SpecProblem,
} from "../../views/charts/spec";

export interface SavedReport extends ReportSpec {
  id: string;
  name: string;
  owner_id: string;
  team_id: string | null;
  shared_with_team: boolean;
  version: number;
  updated_at?: string | null;
}

function SavedList() {
  const t = useT();
  const { user } = useSession();
  const [items, setItems] = useState<SavedReport[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    get<{ items: SavedReport[] }>("/reports?limit=200").then(
      (body) => setItems(body.items),
      (caught) => setError(problemText(caught, t("charts.failed"))),
    );
  }, []); // eslint-disable-line react-hooks/exhaustive-deps
  return (
    <div className="page reports-page">
      <header className="page-head">
        <h1>{t("section.reports")}</h1>
        <div className="spacer" />
        <Link to="/reports/new" className="button primary">
          <Icon path={ICONS.plus} size={16} />
          {t("reports.new")}
        </Link>
      </header>
      <section className="card" aria-labelledby="saved-reports">
        <h2 id="saved-reports" className="reports-heading">
          {t("reports.saved")}
        </h2>
        {error && <p className="form-error" role="alert">{error}</p>}
        {items && items.length === 0 && <p className="muted">{t("reports.none")}</p>}
        {items && items.length > 0 && (
          <table className="chart-table">
            <thead>
              <tr>
                <th scope="col">{t("reports.name")}</th>
                <th scope="col">{t("reports.entity")}</th>
                <th scope="col">{t("reports.chart")}</th>
                <th scope="col">{t("reports.shared")}</th>
              </tr>
            </thead>
            <tbody>
              {items.map((report) => (
                <tr key={report.id}>
                  <td>
                    <Link to={`/reports/${encodeURIComponent(report.id)}`}>{report.name}</Link>
                  </td>
                  <td>{t(`section.${report.entity}`)}</td>
                  <td>{t(`reports.chart.${report.chart ?? "bar"}`)}</td>
                  <td>
                    {report.owner_id === user.id
                      ? report.shared_with_team
                        ? t("value.yes")
                        : t("value.no")
                      : t("reports.theirs")}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </div>
  );
}

/** A labelled control: the label is tied by id, so the control's name is the label alone. */
function FieldBox({ label, children }: { label: string; children: (id: string) => ReactNode }) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id} className="field-label">
        {label}
      </label>
      {children(id)}
    </div>
  );
}

function problemFor(problems: SpecProblem[], field: string): string[] {
  return problems.filter((p) => p.field === field).map((p) => p.key);
}

function Builder({ id }: { id: string | null }) {
  const t = useT();
  const { user } = useSession();
  const [state, setState] = useState<BuilderState>(EMPTY_BUILDER);
  const [saved, setSaved] = useState<SavedReport | null>(null);
  const [name, setName] = useState("");
  const [shared, setShared] = useState(false);
  const [ran, setRan] = useState<{ spec: ReportSpec; key: number } | null>(null);
  const [showProblems, setShowProblems] = useState(false);
  const [note, setNote] = useState<{ text: string; error: boolean } | null>(null);
  const [busy, setBusy] = useState(false);
  const [loadError, setLoadError] = useState<string | null>(null);

  useEffect(() => {
    if (!id) return;
    get<SavedReport>(`/reports/${encodeURIComponent(id)}`).then(
      (report) => {
        setSaved(report);
        setName(report.name);
        setShared(report.shared_with_team);
        const form = builderOf(report);
        setState(form);
        setRan({ spec: buildSpec(form).spec, key: 0 });
      },
      (caught) => setLoadError(caught instanceof ApiError && caught.status === 404 ? t("reports.notFound") : problemText(caught, t("charts.failed"))),
    );
  }, [id]); // eslint-disable-line react-hooks/exhaustive-deps

  const { spec, problems } = buildSpec(state);
  const mine = !saved || saved.owner_id === user.id || (user.roles ?? []).includes("admin");
  const fields = Object.entries(REPORT_FIELDS[state.entity] ?? {});
  const label = (field: string) => t.field(state.entity, field);
  const fieldOptions = (filter: (kind: FieldKind) => boolean = () => true) =>
    fields
      .filter(([, kind]) => filter(kind))
      .map(([field]) => (
        <option key={field} value={field}>
          {label(field)}
        </option>
      ));
  const shownProblems = (field: string) =>
    showProblems
      ? problemFor(problems, field).map((key) => (
          <p key={key} className="field-error">
            {t(key)}
          </p>
        ))
      : null;
  const update = (change: Partial<BuilderState>) => {
    setState((s) => ({ ...s, ...change }));
    setNote(null);
  };

  const run = () => {
    setShowProblems(true);
    if (problems.length) return;
    setRan((previous) => ({ spec, key: (previous?.key ?? 0) + 1 }));
  };

  const save = async (asNew: boolean) => {
    setShowProblems(true);
    if (!name.trim()) {
      setNote({ text: t("reports.problem.name"), error: true });
      return;
    }
    if (problems.length) return;
    setBusy(true);
    try {
      const body = { ...spec, name: name.trim(), shared_with_team: shared };
      const response =
        saved && !asNew
          ? await request<SavedReport>(`/reports/${encodeURIComponent(saved.id)}`, { method: "PATCH", body, headers: ifMatch(saved.version) })
          : await request<SavedReport>("/reports", { method: "POST", body });
      setSaved(response.data);
      setNote({ text: t("reports.savedNote"), error: false });
      setRan((previous) => ({ spec, key: (previous?.key ?? 0) + 1 }));
      if (!saved || asNew) navigate(`/reports/${encodeURIComponent(response.data.id)}`, { replace: true });
    } catch (caught) {
      setNote({ text: caught instanceof ApiError && caught.status === 409 ? t("reports.conflict") : problemText(caught, t("charts.failed")), error: true });
    } finally {
      setBusy(false);
    }
  };

  const remove = async () => {
    if (!saved || !window.confirm(t("reports.deleteConfirm", { name: saved.name }))) return;
    setBusy(true);
    try {
      await request(`/reports/${encodeURIComponent(saved.id)}`, { method: "DELETE", headers: ifMatch(saved.version) });
      navigate("/reports");
    } catch (caught) {
      setNote({ text: problemText(caught, t("charts.failed")), error: true });
      setBusy(false);
    }
  };

  const toResults = async () => {
    setShowProblems(true);
    if (problems.length) return;
    setBusy(true);
    try {
      await addToResults(spec, name.trim() || t("reports.result"));
      setNote({ text: t("reports.toResultsDone"), error: false });
    } catch (caught) {
      setNote({ text: problemText(caught, t("charts.failed")), error: true });
    } finally {
      setBusy(false);
    }
  };

  const toExcel = async () => {
    setShowProblems(true);
    if (problems.length) return;
    setBusy(true);
    try {
      const file = await exportReport(spec, name.trim() || saved?.name || "");
      setNote({ text: t("reports.exported", { file }), error: false });
    } catch (caught) {
      setNote({ text: problemText(caught, t("charts.failed")), error: true });
    } finally {
      setBusy(false);
    }
  };

  if (loadError)
    return (
      <div className="page">
        <p className="form-error" role="alert">
          {loadError}
        </p>
        <Link to="/reports">{t("reports.saved")}</Link>
      </div>
    );

  return (
    <div className="page reports-page">
      <header className="page-head">
        <Link to="/reports" className="button ghost small" aria-label={t("reports.saved")}>
          <Icon path={ICONS.back} size={16} />
        </Link>
        <h1>{saved ? saved.name : t("reports.builder")}</h1>
      </header>
      <form
        className="card report-builder"
        aria-label={t("reports.builder")}
        onSubmit={(e) => {
          e.preventDefault();
          run();
        }}
        noValidate
      >
        <div className="inline-fields">
          <FieldBox label={t("reports.entity")}>
            {(id) => (
              <select
                id={id}
                value={state.entity}
                onChange={(e) => {
                  const entity = e.target.value;
                  update({ entity, groups: [], aggregates: [{ fn: "count" }], filters: [] });
                }}
              >
                {REPORT_ENTITIES.map((entity) => (
                  <option key={entity} value={entity}>
                    {t(`section.${entity}`)}
                  </option>
                ))}
              </select>
            )}
          </FieldBox>
          <fieldset className="report-chart-kind">
            <legend className="field-label">{t("reports.chart")}</legend>
            <div className="segmented-buttons">
              {CHART_KINDS.map((kind) => (
                <button key={kind} type="button" aria-pressed={state.chart === kind} onClick={() => update({ chart: kind })}>
                  {t(`reports.chart.${kind}`)}
                </button>
              ))}
            </div>
          </fieldset>
        </div>

        <fieldset className="report-part">
          <legend>{t("reports.groups")}</legend>
          {state.groups.map((group, n) => (
            <div key={n} className="inline-fields">
              <FieldBox label={t("reports.group.field")}>
                {(id) => (
                  <select
                    id={id}
                    value={group.field}
                    onChange={(e) => update({ groups: state.groups.map((g, i) => (i === n ? { field: e.target.value } : g)) })}
                  >
                    <option value="">{t("reports.pickField")}</option>
                    {fieldOptions((kind) => kind !== "number")}
                  </select>
                )}
              </FieldBox>
              {isDateKind(REPORT_FIELDS[state.entity]?.[group.field]) && (
                <FieldBox label={t("reports.group.bucket")}>
                  {(id) => (
                    <select
                      id={id}
                      value={group.bucket ?? "month"}
                      onChange={(e) =>
                        update({ groups: state.groups.map((g, i) => (i === n ? { ...g, bucket: e.target.value as BuilderState["groups"][number]["bucket"] } : g)) })
                      }
                    >
                      {BUCKETS.map((bucket) => (
                        <option key={bucket} value={bucket}>
                          {t(`charts.bucket.${bucket}`)}
                        </option>
                      ))}
                    </select>
                  )}
                </FieldBox>
              )}
              <button type="button" className="button ghost small" onClick={() => update({ groups: state.groups.filter((_, i) => i !== n) })}>
                {t("reports.remove")}
              </button>
              {shownProblems(`group_by[${n}]`)}
            </div>
          ))}
          {state.groups.length < 2 && (
            <button type="button" className="button small" onClick={() => update({ groups: [...state.groups, { field: "" }] })}>
              {t("reports.group.add")}
            </button>
          )}
          {shownProblems("group_by")}
        </fieldset>

        <fieldset className="report-part">
          <legend>{t("reports.aggregates")}</legend>
          {state.aggregates.map((aggregate, n) => (
            <div key={n} className="inline-fields">
              <FieldBox label={t("reports.aggregate.fn")}>
                {(id) => (
                  <select
                    id={id}
                    value={aggregate.fn}
                    onChange={(e) =>
                      update({
                        aggregates: state.aggregates.map((a, i) =>
                          i === n ? { fn: e.target.value as (typeof FUNCTIONS)[number], field: e.target.value === "count" ? null : a.field } : a,
                        ),
                      })
                    }
                  >
                    {FUNCTIONS.map((fn) => (
                      <option key={fn} value={fn}>
                        {t(`reports.fn.${fn}`)}
                      </option>
                    ))}
                  </select>
                )}
              </FieldBox>
              {aggregate.fn !== "count" && (
                <FieldBox label={t("reports.aggregate.field")}>
                  {(id) => (
                    <select
                      id={id}
                      value={aggregate.field ?? ""}
                      onChange={(e) => update({ aggregates: state.aggregates.map((a, i) => (i === n ? { ...a, field: e.target.value } : a)) })}
                    >
                      <option value="">{t("reports.pickField")}</option>
                      {fieldOptions((kind) => kind === "number" || (["min", "max"].includes(aggregate.fn) && isDateKind(kind)))}
                    </select>
                  )}
                </FieldBox>
              )}
              {state.aggregates.length > 1 && (
                <button type="button" className="button ghost small" onClick={() => update({ aggregates: state.aggregates.filter((_, i) => i !== n) })}>
                  {t("reports.remove")}
                </button>
              )}
              {shownProblems(`aggregates[${n}]`)}
            </div>
          ))}
          <button type="button" className="button small" onClick={() => update({ aggregates: [...state.aggregates, { fn: "sum", field: null }] })}>
            {t("reports.aggregate.add")}
          </button>
        </fieldset>

        <fieldset className="report-part">
          <legend>{t("reports.filters")}</legend>
          <p className="muted report-hint">{t("reports.filter.hint")}</p>
          {state.filters.map((filter, n) => (
            <div key={n} className="inline-fields">
              <FieldBox label={t("reports.filter.field")}>
                {(id) => (
                  <select
                    id={id}
                    value={filter.field}
                    onChange={(e) => update({ filters: state.filters.map((f, i) => (i === n ? { ...f, field: e.target.value } : f)) })}
                  >
                    <option value="">{t("reports.pickField")}</option>
                    {fieldOptions()}
                  </select>
                )}
              </FieldBox>
              <FieldBox label={t("reports.filter.value")}>
                {(id) => (
                  <input id={id}
                    value={filter.value}
                    onChange={(e) => update({ filters: state.filters.map((f, i) => (i === n ? { ...f, value: e.target.value } : f)) })}
                  />
                )}
              </FieldBox>
              <button type="button" className="button ghost small" onClick={() => update({ filters: state.filters.filter((_, i) => i !== n) })}>
                {t("reports.remove")}
              </button>
              {shownProblems(`filters.${filter.field}`)}
            </div>
          ))}
          <button type="button" className="button small" onClick={() => update({ filters: [...state.filters, { field: "", value: "" }] })}>
            {t("reports.filter.add")}
          </button>
        </fieldset>

        <div className="inline-fields report-actions">
          <button type="submit" className="button primary">
            {t("reports.run")}
          </button>
          <FieldBox label={t("reports.name")}>
            {(id) => (
              <input id={id} value={name} onChange={(e) => setName(e.target.value)} maxLength={200} disabled={!mine} />
            )}
          </FieldBox>
          <label className="check">
            <input type="checkbox" checked={shared} onChange={(e) => setShared(e.target.checked)} disabled={!mine} />
            {t("reports.shared")}
          </label>
          {mine && (
            <button type="button" className="button" disabled={busy} onClick={() => void save(false)}>
              {t("reports.save")}
            </button>
          )}
          {saved && (
            <button type="button" className="button" disabled={busy} onClick={() => void save(true)}>
              {t("reports.saveAs")}
            </button>
          )}
          <button type="button" className="button" disabled={busy} onClick={() => void toResults()}>
            {t("reports.toResults")}
          </button>
          <button type="button" className="button" disabled={busy} onClick={() => void toExcel()}>
            {t("reports.export")}
          </button>
          {saved && mine && (
            <button type="button" className="button danger-ghost" disabled={busy} onClick={() => void remove()}>
              {t("reports.delete")}
            </button>
          )}
        </div>
        {!mine && <p className="muted">{t("reports.notYours")}</p>}
        {note && (
          <p className={note.error ? "form-error" : "muted"} role={note.error ? "alert" : "status"}>
            {note.text}
          </p>
        )}
      </form>
      {ran && (
        <section className="card chart-card" aria-label={t("reports.result")}>
          <ReportView spec={ran.spec} runKey={ran.key} title={name || t("reports.result")} showTable />
        </section>
      )}
    </div>
  );
}

export default function ReportsSection({ subpath }: SectionProps) {
  if (subpath.length === 0) return <SavedList />;
  return <Builder key={subpath[0]} id={subpath[0] === "new" ? null : subpath[0]} />;
}
