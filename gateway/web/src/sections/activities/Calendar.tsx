// Activities on a calendar: a month, a week or a day of the user's activities (or of
// everyone's they may read), placed at their start (else their due time); overdue ones
// marked; dragged to another day (month) or hour (week, day) to reschedule — the start
// and the due time move together, sent with the version read (If-Match).
import { type ComponentType, useCallback, useEffect, useMemo, useRef, useState } from "react";
import { ApiError, get, ifMatch, request } from "../../core/api";
import type { EntityRecord } from "../../core/meta";
import { Link, navigate, useLocation } from "../../core/router";
import { useSession } from "../../core/session";
import { useT } from "../../i18n";
import { isOpen } from "../../views/activities";
import { isOverdue } from "../../views/format";
import { dayKey, moved, placedAt, rangeOf, stepped, type Mode } from "./calendarDates";

interface Page {
  items: EntityRecord[];
  next_cursor: string | null;
}

const HOURS = Array.from({ length: 24 }, (_, hour) => hour);
const MONTH_CHIPS = 4;

function readMode(search: string): { mode: Mode; anchor: Date; everyone: boolean } {
  const params = new URLSearchParams(search);
  const mode = (["month", "week", "day"] as const).find((m) => m === params.get("view")) ?? "month";
  const at = params.get("date");
  const anchor = at && /^\d{4}-\d{2}-\d{2}$/.test(at) ? new Date(`${at}T12:00:00`) : new Date();
  return { mode, anchor, everyone: params.get("whose") === "all" };
}

export function ActivitiesCalendar({ Switch }: { Switch: ComponentType }) {
  const t = useT();
  const session = useSession();
  const location = useLocation();
  const { mode, anchor, everyone } = readMode(location.search);
  const { from, to, days } = useMemo(() => rangeOf(mode, anchor), [mode, anchor.toDateString()]); // eslint-disable-line react-hooks/exhaustive-deps
  const [items, setItems] = useState<EntityRecord[] | null>(null);
  const [failed, setFailed] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const [dragging, setDragging] = useState<string | null>(null);
  const hoursGrid = useRef<HTMLDivElement>(null);
  const hasItems = items !== null;
  // a week or a day opens on the working day (08:00 at the top)
  useEffect(() => {
    const grid = hoursGrid.current;
    const eight = grid?.querySelector<HTMLElement>("[data-hour-label='8']");
    const head = grid?.querySelector<HTMLElement>(".calendar-hours-head > div");
    if (grid && eight) grid.scrollTop = eight.offsetTop - (head?.offsetHeight ?? 0);
  }, [mode, hasItems]);

  const go = (next: { mode?: Mode; anchor?: Date; everyone?: boolean }) => {
    const params = new URLSearchParams({
      view: next.mode ?? mode,
      date: dayKey(next.anchor ?? anchor),
    });
    if (next.everyone ?? everyone) params.set("whose", "all");
    navigate(`/activities/calendar?${params.toString()}`);
  };

  const load = useCallback(async () => {
    try {
      const found: EntityRecord[] = [];
      let cursor: string | null = null;
      do {
        const query = new URLSearchParams({ limit: "500", sort: "due_at" });
        query.set("filter[due_at]", `${from.toISOString()}..${to.toISOString()}`);
        if (!everyone) query.set("filter[owner_id]", session.user.id);
        if (cursor) query.set("cursor", cursor);
        const page: Page = await get<Page>(`/activities?${query.toString()}`);
        found.push(...page.items);
        cursor = page.next_cursor;
      } while (cursor && found.length < 2000);
      setItems(found);
      setFailed(false);
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 401)) setFailed(true);
    }
  }, [from, to, everyone, session.user.id]);

  useEffect(() => {
    setItems(null);
    void load();
  }, [load]);

  const byDay = useMemo(() => {
    const map = new Map<string, EntityRecord[]>();
    for (const activity of items ?? []) {
      const at = placedAt(activity);
      if (!at) continue;
      const key = dayKey(at);
      map.set(key, [...(map.get(key) ?? []), activity]);
    }
    for (const list of map.values()) list.sort((a, b) => placedAt(a)!.getTime() - placedAt(b)!.getTime());
    return map;
  }, [items]);

  const reschedule = async (id: string, day: Date, hour: number | null) => {
    const activity = items?.find((a) => a.id === id);
    if (!activity) return;
    const change = moved(activity, day, hour);
    if (!change) return;
    setProblem(null);
    setItems((list) => list?.map((a) => (a.id === id ? { ...a, ...change } : a)) ?? null);
    try {
      const answer = await request<EntityRecord>(`/activities/${encodeURIComponent(id)}`, {
        method: "PATCH",
        body: change,
        headers: ifMatch(activity.version as number | undefined),
      });
      setItems((list) => list?.map((a) => (a.id === id ? answer.data : a)) ?? null);
    } catch (error) {
      setProblem(
        error instanceof ApiError && error.status === 409
          ? t("activities.calendar.stale")
          : t("activities.calendar.moveFailed"),
      );
      void load();
    }
  };

  const dropTarget = (day: Date, hour: number | null) => ({
    onDragOver: (event: React.DragEvent) => {
      if (dragging) event.preventDefault();
    },
    onDrop: (event: React.DragEvent) => {
      event.preventDefault();
      const id = event.dataTransfer.getData("text/plain") || dragging;
      setDragging(null);
      if (id) void reschedule(id, day, hour);
    },
  });

  const chip = (activity: EntityRecord) => {
    const at = placedAt(activity)!;
    const open = isOpen(activity);
    const overdue = open && isOverdue(activity.due_at as string | null);
    return (
      <Link
        key={activity.id}
        to={`/activities/${encodeURIComponent(activity.id)}`}
        className={`calendar-chip${overdue ? " overdue" : ""}${open ? "" : " done"}`}
        data-activity={activity.id}
        data-type={String(activity.type ?? "")}
        draggable={open}
        onDragStart={(event) => {
          event.dataTransfer.setData("text/plain", activity.id);
          event.dataTransfer.effectAllowed = "move";
          setDragging(activity.id);
        }}
        onDragEnd={() => setDragging(null)}
        title={`${t.dateTime(at.toISOString())} · ${String(activity.title ?? "")}`}
      >
        <span className="calendar-time">{at.toLocaleTimeString(t.locale, { hour: "2-digit", minute: "2-digit" })}</span>{" "}
        <span className="calendar-title">{String(activity.title ?? "") || t("record.untitled")}</span>
        {overdue && <span className="visually-hidden"> · {t("activities.overdue")}</span>}
      </Link>
    );
  };

  const today = dayKey(new Date());
  const monthFormat = new Intl.DateTimeFormat(t.locale, { month: "long", year: "numeric" });
  const dayFormat = new Intl.DateTimeFormat(t.locale, { weekday: "short", day: "numeric", month: "short" });
  const weekday = new Intl.DateTimeFormat(t.locale, { weekday: "short" });
  const heading =
    mode === "month"
      ? monthFormat.format(anchor)
      : mode === "week"
        ? `${dayFormat.format(days[0])} – ${dayFormat.format(days[days.length - 1])}`
        : new Intl.DateTimeFormat(t.locale, { dateStyle: "full" }).format(anchor);

  return (
    <div className="page calendar-page">
      <header className="page-head">
        <h1>{t("activities.calendar.title")}</h1>
        <Switch />
        <div className="spacer" />
        <Link to="/activities/new" className="button primary">
          {t("activities.new")}
        </Link>
      </header>
      <div className="calendar-toolbar">
        <div className="button-group">
          <button type="button" className="button" onClick={() => go({ anchor: stepped(mode, anchor, -1) })} aria-label={t("activities.calendar.previous")}>
            ‹
          </button>
          <button type="button" className="button" onClick={() => go({ anchor: new Date() })}>
            {t("activities.calendar.today")}
          </button>
          <button type="button" className="button" onClick={() => go({ anchor: stepped(mode, anchor, 1) })} aria-label={t("activities.calendar.next")}>
            ›
          </button>
        </div>
        <h2 className="calendar-heading" aria-live="polite">
          {heading}
        </h2>
        <div className="spacer" />
        <label className="inline-field">
          <span>{t("activities.calendar.whose")}</span>
          <select value={everyone ? "all" : "mine"} onChange={(e) => go({ everyone: e.target.value === "all" })}>
            <option value="mine">{t("activities.calendar.mine")}</option>
            <option value="all">{t("activities.calendar.everyone")}</option>
          </select>
        </label>
        <nav className="segmented" aria-label={t("activities.calendar.view")}>
          {(["month", "week", "day"] as const).map((m) => (
            <button key={m} type="button" aria-pressed={m === mode} onClick={() => go({ mode: m })}>
              {t(`activities.calendar.${m}`)}
            </button>
          ))}
        </nav>
      </div>
      {failed && (
        <p className="banner danger" role="alert">
          {t("error.loadFailed")}
        </p>
      )}
      {problem && (
        <p className="banner danger" role="alert">
          {problem}
        </p>
      )}
      {!items && !failed && <div className="loading" aria-busy="true" />}
      {items && mode === "month" && (
        <div className="calendar-month" role="grid" aria-label={heading}>
          <div className="calendar-weekdays" role="row">
            {days.slice(0, 7).map((day) => (
              <div key={day.getDay()} role="columnheader">
                {weekday.format(day)}
              </div>
            ))}
          </div>
          <div className="calendar-cells">
            {Array.from({ length: days.length / 7 }, (_, week) => (
              <div role="row" className="calendar-week" key={week}>
                {days.slice(week * 7, week * 7 + 7).map((day) => {
                  const key = dayKey(day);
                  const list = byDay.get(key) ?? [];
                  const outside = day.getMonth() !== anchor.getMonth();
                  return (
                    <div
                      key={key}
                      role="gridcell"
                      className={`calendar-cell${outside ? " outside" : ""}${key === today ? " today" : ""}`}
                      data-day={key}
                      aria-label={dayFormat.format(day)}
                      {...dropTarget(day, null)}
                    >
                      <button type="button" className="calendar-day-number" onClick={() => go({ mode: "day", anchor: day })}>
                        {day.getDate()}
                      </button>
                      {list.slice(0, MONTH_CHIPS).map(chip)}
                      {list.length > MONTH_CHIPS && (
                        <button type="button" className="calendar-more" onClick={() => go({ mode: "day", anchor: day })}>
                          {t("activities.calendar.more", { count: list.length - MONTH_CHIPS })}
                        </button>
                      )}
                    </div>
                  );
                })}
              </div>
            ))}
          </div>
        </div>
      )}
      {items && mode !== "month" && (
        <div ref={hoursGrid} className="calendar-hours" role="grid" aria-label={heading} style={{ gridTemplateColumns: `56px repeat(${days.length}, 1fr)` }}>
          <div role="row" className="calendar-hours-head">
            <div />
            {days.map((day) => (
              <div key={dayKey(day)} role="columnheader" className={dayKey(day) === today ? "today" : ""}>
                {dayFormat.format(day)}
              </div>
            ))}
          </div>
          {HOURS.map((hour) => (
            <div role="row" key={hour} className="calendar-hour-row">
              <div className="calendar-hour-label" data-hour-label={hour}>
                {String(hour).padStart(2, "0")}:00
              </div>
              {days.map((day) => {
                const key = dayKey(day);
                const list = (byDay.get(key) ?? []).filter((a) => placedAt(a)!.getHours() === hour);
                return (
                  <div key={key} role="gridcell" className="calendar-slot" data-day={key} data-hour={hour} {...dropTarget(day, hour)}>
                    {list.map(chip)}
                  </div>
                );
              })}
            </div>
          ))}
        </div>
      )}
    </div>
  );
}
