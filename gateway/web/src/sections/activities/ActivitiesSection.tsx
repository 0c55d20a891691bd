import { useCallback, useEffect, useState } from "react";
import { ApiError, get, ifMatch, request } from "../../core/api";
import type { EntityRecord } from "../../core/meta";
import type { SectionProps } from "../../core/registry";
import { Link, useLocation } from "../../core/router";
import { useT } from "../../i18n";
import { ICONS, Icon } from "../../shell/Icon";
import { ActivityRow, isOpen } from "../../views/activities";
import { isOverdue } from "../../views/format";
import { ActivitiesCalendar } from "./Calendar";
import { EntityList } from "../../views/EntityList";
import { RecordPage } from "../../views/RecordPage";
import type { EntityConfig, RecordPartProps } from "../../views/config";

function ActivitiesSwitch() {
  const t = useT();
  const { pathname } = useLocation();
  const mine = pathname.startsWith("/activities/my");
  const calendar = pathname.startsWith("/activities/calendar");
  return (
    <nav className="segmented-links" aria-label={t("activities.switch")}>
      <Link to="/activities/my" aria-current={mine ? "page" : undefined}>
        {t("activities.switch.mine")}
      </Link>
      <Link to="/activities" aria-current={mine || calendar ? undefined : "page"}>
        {t("activities.switch.all")}
      </Link>
      <Link to="/activities/calendar" aria-current={calendar ? "page" : undefined}>
        {t("activities.switch.calendar")}
      </Link>
    </nav>
  );
}

/** The activity page's status line: where it stands, and one button to complete it. */
function ActivityStatus({ record, version, onRecord }: RecordPartProps) {
  const t = useT();
  const [result, setResult] = useState("");
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  if (!isOpen(record)) {
    return (
      <p className="status-line" data-status={String(record.status)}>
        <span className="badge">{t.option("activities", "status", String(record.status))}</span>
        {record.completed_at ? <span className="muted small"> {t("activities.status.completedAt", { time: t.dateTime(String(record.completed_at)) })}</span> : null}
      </p>
    );
  }
  const complete = async () => {
    setBusy(true);
    setProblem(null);
    try {
      const response = await request<EntityRecord>(`/activities/${encodeURIComponent(record.id)}/complete`, {
        method: "POST",
        body: result.trim() ? { result: result.trim() } : {},
        headers: ifMatch(version),
      });
      onRecord(response.data, response.etag);
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 401)) setProblem(error instanceof Error ? error.message : String(error));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="status-line" data-status={String(record.status)}>
      <span className="badge">{t.option("activities", "status", String(record.status))}</span>
      <label className="grow">
        <span className="visually-hidden">{t("activities.status.result")}</span>
        <input type="text" placeholder={t("activities.status.result")} value={result} onChange={(e) => setResult(e.target.value)} />
      </label>
      <button type="button" className="button small primary" disabled={busy} onClick={() => void complete()}>
        {t("activities.status.complete")}
      </button>
      {problem && (
        <span className="field-error" role="alert">
          {problem}
        </span>
      )}
    </div>
  );
}

/** Tomorrow at 9:00 in the user's time zone, as an ISO instant. */
export function tomorrowAtNine(now: Date = new Date()): string {
  const due = new Date(now.getFullYear(), now.getMonth(), now.getDate() + 1, 9, 0, 0, 0);
  return due.toISOString();
}

export const ACTIVITIES: EntityConfig = {
  entity: "activities",
  section: "activities",
  basePath: "/activities",
  titleKey: "section.activities",
  newKey: "activities.new",
  countKey: "activities.count",
  defaultSort: "due_at",
  defaultColumns: [
    { name: "title", width: 260 },
    { name: "type", width: 110 },
    { name: "status", width: 130 },
    { name: "due_at", width: 170 },
    { name: "related_id", width: 200 },
    { name: "priority", width: 100 },
    { name: "owner_id", width: 160 },
  ],
  views: [
    { id: "all", labelKey: "activities.view.all", params: "" },
    { id: "mine-open", labelKey: "activities.view.mineOpen", params: "f.owner_id=me&f.status=not_started,in_progress" },
    { id: "calls", labelKey: "activities.view.calls", params: "f.type=call" },
    { id: "meetings", labelKey: "activities.view.meetings", params: "f.type=meeting" },
  ],
  title: (activity) => String(activity.title ?? ""),
  headerFields: ["type", "due_at", "priority", "related_id", "owner_id"],
  // a task for tomorrow, of normal priority, not started: what most new activities are
  newDefaults: () => ({ type: "task", priority: "normal", status: "not_started", due_at: tomorrowAtNine() }),
  StageBarPart: ActivityStatus,
  // open and past due: marked in the list as everywhere activities appear
  rowClass: (activity) => (isOpen(activity) && isOverdue(activity.due_at as string | null) ? "overdue" : undefined),
  ListSwitch: ActivitiesSwitch,
  groups: [
    { titleKey: "activities.group.what", fields: ["type", "title", "description", "priority", "status"] },
    { titleKey: "activities.group.when", fields: ["start_at", "due_at"] },
    { titleKey: "activities.group.about", fields: ["related_type", "related_id", "participants"] },
    { titleKey: "activities.group.outcome", fields: ["result"] },
    { titleKey: "activities.group.links", fields: ["owner_id", "team_id"] },
  ],
};

interface Page {
  items: EntityRecord[];
  next_cursor: string | null;
}

/** The caller's open activities: overdue first (highlighted), then by due time, undated last. */
function MyActivities() {
  const t = useT();
  const [items, setItems] = useState<EntityRecord[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [failed, setFailed] = useState(false);
  const load = useCallback(async (after: string | null) => {
    try {
      const query = new URLSearchParams({ limit: "50" });
      if (after) query.set("cursor", after);
      const page = await get<Page>(`/me/activities?${query.toString()}`);
      setItems((previous) => (after && previous ? previous.concat(page.items) : page.items));
      setCursor(page.next_cursor);
      setFailed(false);
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 401)) setFailed(true);
    }
  }, []);
  useEffect(() => {
    void load(null);
  }, [load]);
  const replace = (changed: EntityRecord) => setItems((list) => list?.map((a) => (a.id === changed.id ? changed : a)) ?? null);

  const overdue = (items ?? []).filter((a) => a.is_overdue === true);
  const dated = (items ?? []).filter((a) => a.is_overdue !== true && a.due_at);
  const undated = (items ?? []).filter((a) => a.is_overdue !== true && !a.due_at);
  const group = (key: string, list: EntityRecord[], className = "") =>
    list.length > 0 && (
      <section className={`card activity-group ${className}`} aria-labelledby={`group-${key}`} data-group={key}>
        <h2 id={`group-${key}`}>
          {t(`activities.my.${key}`)} <span className="count">{list.length}</span>
        </h2>
        <ul className="activity-list">
          {list.map((activity) => (
            <ActivityRow key={activity.id} activity={activity} showRelated onChanged={replace} />
          ))}
        </ul>
      </section>
    );

  return (
    <div className="page narrow-page">
      <header className="page-head">
        <h1>{t("activities.my.title")}</h1>
        <ActivitiesSwitch />
        <div className="spacer" />
        <Link to="/activities/new" className="button primary">
          <Icon path={ICONS.plus} size={16} />
          {t("activities.new")}
        </Link>
      </header>
      {failed && (
        <p className="banner danger" role="alert">
          {t("error.loadFailed")}
        </p>
      )}
      {!items && !failed && <div className="loading" aria-busy="true" />}
      {items && items.length === 0 && <p className="empty-note">{t("activities.my.none")}</p>}
      {group("overdue", overdue, "overdue")}
      {group("upcoming", dated)}
      {group("undated", undated)}
      {cursor && (
        <button type="button" className="button ghost" onClick={() => void load(cursor)}>
          {t("activities.more")}
        </button>
      )}
    </div>
  );
}

export default function ActivitiesSection({ subpath }: SectionProps) {
  if (subpath.length === 0) return <EntityList config={ACTIVITIES} />;
  if (subpath[0] === "my") return <MyActivities />;
  if (subpath[0] === "calendar") return <ActivitiesCalendar Switch={ActivitiesSwitch} />;
  return <RecordPage key={subpath[0]} config={ACTIVITIES} id={subpath[0]} />;
}
