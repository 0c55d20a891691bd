// The generic list: columns, sort, filters, search and saved views over one entity,
// a page at a time as the user scrolls (only the visible rows are in the DOM).
import { useVirtualizer } from "@tanstack/react-virtual";
import { lazy, Suspense, useCallback, useEffect, useMemo, useRef, useState } from "react";
import { ApiError, get } from "../core/api";
import { rememberNames } from "../core/lookup";
import { loadEntities, may, type EntityMeta, type EntityRecord, type FieldMeta } from "../core/meta";
import { Link, navigate, useSearchParams } from "../core/router";
import { usePref, useSession } from "../core/session";
import { useT } from "../i18n";
import { ICONS, Icon } from "../shell/Icon";
import { ColumnsPanel } from "./ColumnsPanel";
import { ExportButton } from "./ExportButton";
import { FiltersPanel } from "./FiltersPanel";
import { BulkBar, availableActions, type Selection } from "./BulkBar";
import { Value } from "./Value";
import { usePhone } from "./usePhone";
import "./cards.css";
import { Views } from "./Views";
import { ChartSwitch, isChartShown } from "./charts/ChartSwitch";
import { describeTotal, formatValue, type ListTotal } from "./format";
import {
  apiQuery,
  cleanColumns,
  clampWidth,
  filtersOf,
  type ColumnPref,
  type EntityConfig,
} from "./config";

// The chart view (and the charting library) load only when asked for.
const SectionCharts = lazy(() => import("./charts/SectionCharts"));

const PAGE_SIZE = 100;
const ROW_HEIGHT = 40;
const HEAD_HEIGHT = 40;
/** The selection column's width (the row's checkbox). */
const SELECT_WIDTH = 44;
/** On a phone a row is a card of this height showing this many of the columns. */
const CARD_HEIGHT = 112;
const CARD_FIELDS = 4;

interface Page {
  items: EntityRecord[];
  next_cursor: string | null;
  // The first page of leads, contacts and accounts says how many match (null after it).
  total?: number | null;
  total_is_estimate?: boolean | null;
}

export function EntityList({ config }: { config: EntityConfig }) {
  const t = useT();
  const session = useSession();
  const [meta, setMeta] = useState<EntityMeta | null>(null);
  const [metaError, setMetaError] = useState(false);
  const [params, setParams] = useSearchParams();
  const [savedColumns, saveColumns] = usePref<ColumnPref[]>(`columns.${config.section}`);
  const [panel, setPanel] = useState<"filters" | "columns" | null>(null);
  const [search, setSearch] = useState(params.get("q") ?? "");

  useEffect(() => {
    loadEntities().then(
      (entities) => setMeta(entities[config.entity] ?? null),
      () => setMetaError(true),
    );
  }, [config.entity]);

  const fields = useMemo(() => new Map((meta?.fields ?? []).map((f) => [f.name, f])), [meta]);
  const columns = useMemo(
    () => cleanColumns(savedColumns, new Set(fields.keys()), config.defaultColumns),
    [savedColumns, fields, config.defaultColumns],
  );
  // Widths being dragged live here until the pointer is released.
  const [dragWidths, setDragWidths] = useState<Record<string, number>>({});
  const widthOf = (c: ColumnPref) => dragWidths[c.name] ?? c.width;
  const bulkActions = availableActions(config, meta);
  const selectable = bulkActions.length > 0;
  const totalWidth = columns.reduce((sum, c) => sum + widthOf(c), 0) + (selectable ? SELECT_WIDTH : 0);

  // -- data, a page at a time
  const query = useMemo(
    () => apiQuery(params, config.defaultSort, session.user, PAGE_SIZE),
    [params.toString(), config.defaultSort, session.user.id, session.user.team_id], // eslint-disable-line react-hooks/exhaustive-deps
  );
  const queryKey = query.toString();
  const [rows, setRows] = useState<EntityRecord[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [done, setDone] = useState(false);
  const [total, setTotal] = useState<ListTotal | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const generation = useRef(0);
  const inFlight = useRef(false);

  const fetchPage = useCallback(
    async (after: string | null, reset: boolean) => {
      const mine = reset ? ++generation.current : generation.current;
      inFlight.current = true;
      setLoading(true);
      const page = new URLSearchParams(queryKey);
      if (after) page.set("cursor", after);
      try {
        const body = await get<Page>(`/${config.entity}?${page.toString()}`);
        if (mine !== generation.current) return;
        rememberNames(config.entity, body.items);
        setRows((previous) => (reset ? body.items : previous.concat(body.items)));
        // The total comes with the first page and holds for the pages after it.
        if (reset) {
          setTotal(
            typeof body.total === "number"
              ? { count: body.total, estimate: body.total_is_estimate === true }
              : null,
          );
        }
        setCursor(body.next_cursor);
        setDone(!body.next_cursor);
        setError(null);
      } catch (caught) {
        if (mine !== generation.current) return;
        if (reset) {
          setRows([]);
          setTotal(null);
        }
        setError(caught instanceof ApiError ? caught : new ApiError(0, "error", null, []));
        setDone(true);
      } finally {
        if (mine === generation.current) {
          inFlight.current = false;
          setLoading(false);
        }
      }
    },
    [config.entity, queryKey],
  );

  useEffect(() => {
    setDone(false);
    setCursor(null);
    void fetchPage(null, true);
  }, [fetchPage]);

  // -- the selection: rows ticked (a shift-click ticks the range from the last one), or
  // every record the filter matches; another filter or search starts it afresh
  const [selected, setSelected] = useState<Set<string>>(() => new Set());
  const [allMatching, setAllMatching] = useState(false);
  const anchor = useRef<number | null>(null);
  const clearSelection = useCallback(() => {
    setSelected(new Set());
    setAllMatching(false);
    anchor.current = null;
  }, []);
  useEffect(clearSelection, [queryKey, clearSelection]);
  const tick = (index: number, checked: boolean, range: boolean) => {
    setAllMatching(false);
    const start = range && anchor.current !== null ? anchor.current : index;
    const from = Math.min(start, index);
    const to = Math.max(start, index);
    setSelected((previous) => {
      const next = new Set(previous);
      for (let i = from; i <= to; i++) {
        if (rows[i]) {
          if (checked) next.add(rows[i].id);
          else next.delete(rows[i].id);
        }
      }
      return next;
    });
    anchor.current = index;
  };
  const allLoadedTicked = rows.length > 0 && rows.every((row) => selected.has(row.id));
  const tickLoaded = (checked: boolean) => {
    setAllMatching(false);
    setSelected(checked ? new Set(rows.map((row) => row.id)) : new Set());
    anchor.current = null;
  };
  const selection: Selection = {
    ids: [...selected],
    allMatching,
    matchingCount: done ? rows.length : total && !total.estimate ? total.count : null,
  };

  // -- the search box writes `q` to the address a moment after typing stops
  useEffect(() => {
    const current = params.get("q") ?? "";
    if (search === current) return;
    const timer = window.setTimeout(() => {
      const next = new URLSearchParams(params);
      if (search.trim()) next.set("q", search);
      else next.delete("q");
      setParams(next);
    }, 250);
    return () => window.clearTimeout(timer);
  }, [search]); // eslint-disable-line react-hooks/exhaustive-deps
  useEffect(() => setSearch(params.get("q") ?? ""), [params.get("q")]); // eslint-disable-line react-hooks/exhaustive-deps

  // -- the rows on screen
  const scroller = useRef<HTMLDivElement>(null);
  const phone = usePhone();
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => (phone ? CARD_HEIGHT : ROW_HEIGHT),
    overscan: 12,
    scrollMargin: HEAD_HEIGHT,
  });
  useEffect(() => virtualizer.measure(), [phone, virtualizer]);
  const virtualRows = virtualizer.getVirtualItems();
  const lastShown = virtualRows.length ? virtualRows[virtualRows.length - 1].index : -1;
  useEffect(() => {
    if (!done && !inFlight.current && cursor && lastShown >= rows.length - 30) void fetchPage(cursor, false);
  }, [lastShown, rows.length, cursor, done, fetchPage]);
  useEffect(() => {
    scroller.current?.scrollTo({ top: 0 });
  }, [queryKey]);

  // -- sorting and column widths
  const sort = params.get("sort") || config.defaultSort;
  const sortField = sort.replace(/^-/, "");
  const descending = sort.startsWith("-");
  const toggleSort = (field: FieldMeta) => {
    const next = new URLSearchParams(params);
    next.set("sort", sortField === field.name && !descending ? `-${field.name}` : field.name);
    setParams(next);
  };
  const setWidth = (name: string, width: number) =>
    void saveColumns(columns.map((c) => (c.name === name ? { ...c, width: clampWidth(width) } : c)));
  const startResize = (event: React.PointerEvent, column: ColumnPref) => {
    event.preventDefault();
    const startX = event.clientX;
    const startWidth = column.width;
    let latest = startWidth;
    const move = (e: PointerEvent) => {
      latest = clampWidth(startWidth + e.clientX - startX);
      setDragWidths((w) => ({ ...w, [column.name]: latest }));
    };
    const up = () => {
      window.removeEventListener("pointermove", move);
      window.removeEventListener("pointerup", up);
      setDragWidths({});
      if (latest !== startWidth) setWidth(column.name, latest);
    };
    window.addEventListener("pointermove", move);
    window.addEventListener("pointerup", up);
  };

  const activeFilters = Object.keys(filtersOf(params)).length;
  const recordPath = (row: EntityRecord) => `${config.basePath}/${encodeURIComponent(row.id)}`;

  if (metaError) return <p className="empty-page">{t("error.unreachable")}</p>;

  return (
    <div className="page list-page">
      <header className="page-head">
        <h1>{t(config.titleKey)}</h1>
        {config.ListSwitch ? <config.ListSwitch /> : <ChartSwitch basePath={config.basePath} />}
        <Views config={config} />
        <div className="spacer" />
        {meta && may(meta, "create") && (
          <Link to={`${config.basePath}/new`} className="button primary">
            <Icon path={ICONS.plus} size={16} />
            {t(config.newKey)}
          </Link>
        )}
      </header>
      <div className="toolbar">
        <label className="search">
          <Icon path={ICONS.search} size={16} />
          <span className="visually-hidden">{t("list.search")}</span>
          <input
            type="search"
            placeholder={t("list.search")}
            value={search}
            onChange={(e) => setSearch(e.target.value)}
          />
        </label>
        <button
          type="button"
          className={panel === "filters" ? "button toggled" : "button"}
          aria-expanded={panel === "filters"}
          aria-controls="list-panel"
          onClick={() => setPanel(panel === "filters" ? null : "filters")}
        >
          <Icon path={ICONS.filter} size={16} />
          {activeFilters ? t("list.filtersCount", { count: activeFilters }) : t("list.filters")}
        </button>
        <button
          type="button"
          className={panel === "columns" ? "button toggled" : "button"}
          aria-expanded={panel === "columns"}
          aria-controls="list-panel"
          onClick={() => setPanel(panel === "columns" ? null : "columns")}
        >
          <Icon path={ICONS.columns} size={16} />
          {t("list.columns")}
        </button>
        {meta && may(meta, "export") && (
          <ExportButton
            entity={config.entity}
            query={query}
            columns={columns.map((column) => column.name)}
          />
        )}
        <div className="spacer" />
        <span
          className="muted"
          role="status"
          aria-live="polite"
          data-total={total ? total.count : undefined}
          data-total-estimate={total ? String(total.estimate) : undefined}
        >
          {loading && rows.length === 0
            ? t("list.loading")
            : total
              ? describeTotal(t, config.countKey, total)
              : done
                ? t.plural(config.countKey, rows.length)
                : t("list.loaded", { count: t.number(rows.length) })}
        </span>
      </div>
      {(selected.size > 0 || allMatching) && (
        <BulkBar
          config={config}
          meta={meta}
          selection={selection}
          rows={rows}
          allLoaded={done && allLoadedTicked}
          query={query}
          onSelectAllMatching={() => setAllMatching(true)}
          onClear={clearSelection}
          onChanged={() => {
            clearSelection();
            setDone(false);
            setCursor(null);
            void fetchPage(null, true);
          }}
        />
      )}
      {panel && meta && (
        <div id="list-panel" className="panel">
          {panel === "filters" ? (
            <FiltersPanel entity={meta} onClose={() => setPanel(null)} />
          ) : (
            <ColumnsPanel
              entity={meta}
              columns={columns}
              defaults={config.defaultColumns}
              onChange={(next) => void saveColumns(next)}
              onClose={() => setPanel(null)}
            />
          )}
        </div>
      )}
      {isChartShown(params) && (
        <Suspense fallback={<div className="loading" aria-busy="true" />}>
          <SectionCharts entity={config.entity} />
        </Suspense>
      )}
      <div
        className={phone ? "grid cards" : "grid"}
        hidden={isChartShown(params)}
        ref={scroller}
        role="table"
        aria-label={t(config.titleKey)}
        aria-rowcount={done ? rows.length + 1 : total && !total.estimate ? total.count + 1 : -1}
        aria-busy={loading || !meta}
      >
        <div className="grid-head" role="rowgroup" style={{ width: totalWidth }}>
          <div className="grid-row" role="row" aria-rowindex={1}>
            {selectable && (
              <div className="grid-cell head select" role="columnheader" style={{ width: SELECT_WIDTH }}>
                <input
                  type="checkbox"
                  aria-label={t("bulk.selectLoaded")}
                  checked={allMatching || allLoadedTicked}
                  onChange={(e) => tickLoaded(e.target.checked)}
                />
              </div>
            )}
            {columns.map((column) => {
              const field = fields.get(column.name);
              const label = t.field(config.entity, column.name, field?.label);
              const sorted = sortField === column.name;
              return (
                <div
                  key={column.name}
                  className="grid-cell head"
                  role="columnheader"
                  style={{ width: widthOf(column) }}
                  aria-sort={sorted ? (descending ? "descending" : "ascending") : undefined}
                  data-column={column.name}
                >
                  {field?.sortable ? (
                    <button type="button" className="sort-button" onClick={() => toggleSort(field)}>
                      <span>{label}</span>
                      {sorted && <Icon path={descending ? ICONS.sortDesc : ICONS.sortAsc} size={14} />}
                      {!sorted && <span className="visually-hidden">{t("list.sortBy")}</span>}
                    </button>
                  ) : (
                    <span className="head-label">{label}</span>
                  )}
                  <span
                    className="resizer"
                    role="separator"
                    aria-orientation="vertical"
                    aria-label={t("list.resize", { column: label })}
                    aria-valuenow={widthOf(column)}
                    tabIndex={0}
                    onPointerDown={(e) => startResize(e, column)}
                    onKeyDown={(e) => {
                      if (e.key === "ArrowLeft" || e.key === "ArrowRight") {
                        e.preventDefault();
                        setWidth(column.name, column.width + (e.key === "ArrowRight" ? 20 : -20));
                      }
                    }}
                  />
                </div>
              );
            })}
          </div>
        </div>
        <div
          className="grid-body"
          role="rowgroup"
          style={{ height: virtualizer.getTotalSize(), width: totalWidth }}
        >
          {virtualRows.map((item) => {
            const row = rows[item.index];
            const ticked = allMatching || selected.has(row.id);
            const classes = ["grid-row", config.rowClass?.(row), ticked ? "selected" : undefined].filter(Boolean);
            return (
              <div
                key={row.id}
                className={classes.join(" ")}
                role="row"
                aria-rowindex={item.index + 2}
                style={{ transform: `translateY(${item.start - HEAD_HEIGHT}px)`, height: phone ? CARD_HEIGHT : undefined }}
                onClick={(e) => {
                  if (!(e.target as HTMLElement).closest("a, input, .select")) navigate(recordPath(row));
                }}
              >
                {selectable && (
                  <div className="grid-cell select" role="cell" style={{ width: SELECT_WIDTH }}>
                    <input
                      type="checkbox"
                      aria-label={t("bulk.selectRow", { name: config.title(row) || t("record.untitled") })}
                      checked={ticked}
                      onClick={(e) => {
                        e.stopPropagation();
                        tick(item.index, e.currentTarget.checked, e.shiftKey);
                      }}
                      onChange={() => undefined}
                    />
                  </div>
                )}
                {columns.map((column, index) => {
                  const field = fields.get(column.name);
                  // the whole value on hover, for a column too narrow to show it (names of
                  // linked records show their own)
                  const whole = field?.type === "uuid" ? undefined : formatValue(t, config.entity, field, row[column.name], session.user.id, row) || undefined;
                  return (
                    <div key={column.name} className={index >= CARD_FIELDS ? "grid-cell extra" : "grid-cell"} role="cell" style={{ width: widthOf(column) }} data-type={field?.type} title={whole}>
                      {index > 0 && phone && <span className="card-label">{t.field(config.entity, column.name, field?.label)}</span>}
                      {index === 0 ? (
                        <Link to={recordPath(row)} className="row-link">
                          {formatValue(t, config.entity, field, row[column.name], session.user.id, row) || config.title(row) || t("record.untitled")}
                        </Link>
                      ) : (
                        <Value entity={config.entity} field={field} value={row[column.name]} record={row} />
                      )}
                    </div>
                  );
                })}
              </div>
            );
          })}
        </div>
        {done && rows.length === 0 && !error && <p className="grid-empty">{t("list.empty")}</p>}
        {error && (
          <p className="grid-empty form-error" role="alert">
            {error.status === 422 && error.errors.length
              ? error.errors.map((e) => `${e.field}: ${e.message}`).join("; ")
              : t("error.loadFailed")}
          </p>
        )}
      </div>
    </div>
  );
}
