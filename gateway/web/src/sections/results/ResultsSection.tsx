// Results, the home page: widgets (a number, a chart, a table) from any section's reports
// on a 12-column grid, arranged by dragging or with the move buttons, saved per user;
// managers share theirs as the team's default. Every figure drills into its records.
import { useEffect, useRef, useState } from "react";
import { ApiError, get } from "../../core/api";
import { hasRole } from "../../core/registry";
import { Link } from "../../core/router";
import { useSession } from "../../core/session";
import { useT } from "../../i18n";
import { ICONS, Icon } from "../../shell/Icon";
import { Dialog, problemText } from "../../views/Dialog";
import { ReportView } from "../../views/charts/ReportView";
import {
  loadResults,
  newWidget,
  saveResults,
  shareAsTeamDefault,
  type ResultsPage,
  type Widget,
  type WidgetKind,
} from "../../views/charts/dashboard";
import "../../views/charts/labels";
import { GRID_COLUMNS, dropBox, moveBox, type ReportSpec } from "../../views/charts/spec";
import "./results.css";

const ROW_HEIGHT = 72;
const GAP = 12;

interface SavedReport extends ReportSpec {
  id: string;
  name: string;
}

/** The report a widget shows, as its kind asks (a number, a table, or its own chart). */
export function shownSpec(widget: Widget): ReportSpec {
  if (widget.kind === "number") return { ...widget.report, chart: "number" };
  if (widget.kind === "list") return { ...widget.report, chart: "table" };
  const chart = widget.report.chart;
  return { ...widget.report, chart: chart === "number" || chart === "table" || !chart ? "bar" : chart };
}

function AddWidget({ onAdd, onClose }: { onAdd: (spec: ReportSpec, title: string, kind: WidgetKind) => void; onClose: () => void }) {
  const t = useT();
  const [reports, setReports] = useState<SavedReport[] | null>(null);
  const [chosen, setChosen] = useState("");
  const [title, setTitle] = useState("");
  const [kind, setKind] = useState<WidgetKind>("chart");
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    get<{ items: SavedReport[] }>("/reports?limit=200").then(
      (body) => {
        setReports(body.items);
        if (body.items[0]) choose(body.items[0]);
      },
      (caught) => setError(problemText(caught, t("charts.failed"))),
    );
  }, []); // eslint-disable-line react-hooks/exhaustive-deps
  const choose = (report: SavedReport) => {
    setChosen(report.id);
    setTitle(report.name);
    setKind(report.chart === "number" ? "number" : report.chart === "table" ? "list" : "chart");
  };
  const submit = () => {
    const report = reports?.find((r) => r.id === chosen);
    if (!report) return;
    const spec: ReportSpec = {
      entity: report.entity,
      group_by: report.group_by,
      aggregates: report.aggregates,
      filters: report.filters,
      chart: report.chart,
    };
    onAdd(spec, title.trim() || report.name, kind);
  };
  return (
    <Dialog
      title={t("results.add")}
      onClose={onClose}
      onSubmit={submit}
      actions={
        <>
          <button type="button" className="button ghost" onClick={onClose}>
            {t("action.cancel")}
          </button>
          <button type="submit" className="button primary" disabled={!chosen}>
            {t("results.add")}
          </button>
        </>
      }
    >
      {error && <p className="form-error" role="alert">{error}</p>}
      {reports && reports.length === 0 && <p className="muted">{t("results.widget.noReports")}</p>}
      {reports && reports.length > 0 && (
        <div className="results-add">
          <label className="field">
            <span className="field-label">{t("results.widget.report")}</span>
            <select
              value={chosen}
              onChange={(e) => {
                const report = reports.find((r) => r.id === e.target.value);
                if (report) choose(report);
              }}
            >
              {reports.map((report) => (
                <option key={report.id} value={report.id}>
                  {report.name}
                </option>
              ))}
            </select>
          </label>
          <label className="field">
            <span className="field-label">{t("results.widget.title")}</span>
            <input value={title} maxLength={200} onChange={(e) => setTitle(e.target.value)} />
          </label>
          <label className="field">
            <span className="field-label">{t("results.widget.kind")}</span>
            <select value={kind} onChange={(e) => setKind(e.target.value as WidgetKind)}>
              {(["chart", "number", "list"] as const).map((k) => (
                <option key={k} value={k}>
                  {t(`results.widget.kind.${k}`)}
                </option>
              ))}
            </select>
          </label>
        </div>
      )}
      <p>
        <Link to="/reports/new">{t("results.widget.build")}</Link>
      </p>
    </Dialog>
  );
}

export default function ResultsSection() {
  const t = useT();
  const { user } = useSession();
  const [page, setPage] = useState<ResultsPage | null>(null);
  const [widgets, setWidgets] = useState<Widget[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [note, setNote] = useState<{ text: string; error: boolean } | null>(null);
  const [arranging, setArranging] = useState(false);
  const [adding, setAdding] = useState(false);
  const [busy, setBusy] = useState(false);
  const grid = useRef<HTMLDivElement>(null);
  const dragging = useRef<{ id: string; dx: number; dy: number } | null>(null);
  const manager = hasRole(user, ["sales_manager"]);
  // Osprey's built-in widgets come titled in English: shown in the user's language.
  const titleOf = (widget: Widget) => {
    const key = `results.builtIn.${widget.title}`;
    return t.has(key) ? t(key) : widget.title || t("reports.result");
  };

  const load = () =>
    loadResults().then(
      (loaded) => {
        setPage(loaded);
        setWidgets(loaded.widgets);
        setError(null);
      },
      (caught) => setError(problemText(caught, t("charts.failed"))),
    );
  useEffect(() => void load(), []); // eslint-disable-line react-hooks/exhaustive-deps

  const save = async (next: Widget[]) => {
    if (!page) return;
    const before = widgets;
    setWidgets(next);
    setBusy(true);
    try {
      const saved = await saveResults(page, next);
      setPage(saved);
      setWidgets(saved.widgets);
      setNote({ text: t("results.saved"), error: false });
    } catch (caught) {
      if (caught instanceof ApiError && caught.status === 409) {
        setNote({ text: t("results.conflict"), error: true });
        await load();
      } else {
        setWidgets(before);
        setNote({ text: problemText(caught, t("charts.failed")), error: true });
      }
    } finally {
      setBusy(false);
    }
  };

  const share = async () => {
    if (!page) return;
    setBusy(true);
    try {
      await shareAsTeamDefault(page, widgets);
      setNote({ text: t("results.shared"), error: false });
    } catch (caught) {
      setNote({ text: problemText(caught, t("charts.failed")), error: true });
    } finally {
      setBusy(false);
    }
  };

  /** The grid cell under a point of the page. */
  const cellAt = (clientX: number, clientY: number) => {
    const rect = grid.current!.getBoundingClientRect();
    const column = (rect.width + GAP) / GRID_COLUMNS;
    return {
      x: Math.max(0, Math.floor((clientX - rect.left) / column)),
      y: Math.max(0, Math.floor((clientY - rect.top) / (ROW_HEIGHT + GAP))),
    };
  };

  if (error)
    return (
      <div className="page">
        <p className="form-error" role="alert">
          {error}
        </p>
      </div>
    );
  if (!page) return <div className="loading" aria-busy="true" />;

  return (
    <div className="page results-page">
      <header className="page-head">
        <h1>{t("section.results")}</h1>
        <span className="muted results-source" data-source={page.source}>
          {t(`results.source.${page.source}`)}
        </span>
        <div className="spacer" />
        <button type="button" className="button" onClick={() => setAdding(true)} disabled={busy}>
          <Icon path={ICONS.plus} size={16} />
          {t("results.add")}
        </button>
        <button type="button" className={arranging ? "button toggled" : "button"} aria-pressed={arranging} onClick={() => setArranging(!arranging)}>
          {arranging ? t("results.done") : t("results.arrange")}
        </button>
        {manager && user.team_id && (
          <button type="button" className="button" onClick={() => void share()} disabled={busy}>
            {t("results.share")}
          </button>
        )}
      </header>
      {note && (
        <p className={note.error ? "form-error" : "muted"} role={note.error ? "alert" : "status"}>
          {note.text}
        </p>
      )}
      {widgets.length === 0 && <p className="muted">{t("results.empty")}</p>}
      <div
        ref={grid}
        className={arranging ? "results-grid arranging" : "results-grid"}
        style={{ gridAutoRows: ROW_HEIGHT, gap: GAP }}
        onDragOver={(e) => {
          if (dragging.current) e.preventDefault();
        }}
        onDrop={(e) => {
          const drag = dragging.current;
          dragging.current = null;
          if (!drag) return;
          e.preventDefault();
          const cell = cellAt(e.clientX - drag.dx, e.clientY - drag.dy);
          void save(dropBox(widgets, drag.id, cell.x, cell.y));
        }}
      >
        {widgets.map((widget) => {
          const title = titleOf(widget);
          const move = (change: { dx?: number; dy?: number; dw?: number }) => void save(moveBox(widgets, widget.id, change));
          return (
            <section
              key={widget.id}
              className="card results-widget"
              data-kind={widget.kind}
              aria-label={title}
              style={{ gridColumn: `${widget.x + 1} / span ${widget.w}`, gridRow: `${widget.y + 1} / span ${widget.h}` }}
              draggable={arranging}
              onDragStart={(e) => {
                const rect = e.currentTarget.getBoundingClientRect();
                dragging.current = { id: widget.id, dx: e.clientX - rect.left, dy: e.clientY - rect.top };
                e.dataTransfer.effectAllowed = "move";
                e.dataTransfer.setData("text/plain", widget.id);
              }}
            >
              <header className="results-widget-head">
                <h2 title={arranging ? t("results.drag", { title }) : undefined}>{title}</h2>
                {arranging && (
                  <div className="results-widget-tools">
                    <button type="button" className="icon-button" aria-label={t("results.move.left", { title })} onClick={() => move({ dx: -1 })}>
                      <Icon path={ICONS.back} size={14} />
                    </button>
                    <button type="button" className="icon-button" aria-label={t("results.move.right", { title })} onClick={() => move({ dx: 1 })}>
                      <Icon path="M5 12h14M12 5l7 7-7 7" size={14} />
                    </button>
                    <button type="button" className="icon-button" aria-label={t("results.move.up", { title })} onClick={() => move({ dy: -1 })}>
                      <Icon path={ICONS.up} size={14} />
                    </button>
                    <button type="button" className="icon-button" aria-label={t("results.move.down", { title })} onClick={() => move({ dy: 1 })}>
                      <Icon path={ICONS.down} size={14} />
                    </button>
                    <button type="button" className="icon-button" aria-label={t("results.narrower", { title })} onClick={() => move({ dw: -1 })}>
                      <Icon path="M5 12h14" size={14} />
                    </button>
                    <button type="button" className="icon-button" aria-label={t("results.wider", { title })} onClick={() => move({ dw: 1 })}>
                      <Icon path={ICONS.plus} size={14} />
                    </button>
                    <button
                      type="button"
                      className="icon-button"
                      aria-label={t("results.remove", { title })}
                      onClick={() => void save(widgets.filter((w) => w.id !== widget.id))}
                    >
                      <Icon path={ICONS.trash} size={14} />
                    </button>
                  </div>
                )}
              </header>
              <div className="results-widget-body">
                <ReportView spec={shownSpec(widget)} title={title} height={Math.max(120, widget.h * (ROW_HEIGHT + GAP) - 80)} />
              </div>
            </section>
          );
        })}
      </div>
      {adding && (
        <AddWidget
          onClose={() => setAdding(false)}
          onAdd={(spec, title, kind) => {
            setAdding(false);
            void save([...widgets, newWidget(widgets, spec, title, kind)]);
          }}
        />
      )}
    </div>
  );
}
