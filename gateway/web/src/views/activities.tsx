// Activities as rows (the Activities tab of a record, "My activities"): one click to
// complete, overdue ones marked.
import { useState } from "react";
import { ApiError, ifMatch, request } from "../core/api";
import { RELATED_LOOKUP } from "../core/lookup";
import type { EntityRecord } from "../core/meta";
import { Link } from "../core/router";
import { useT } from "../i18n";
import { LookupValue } from "./Value";
import { isOverdue } from "./format";

const TYPE_ICONS: Record<string, string> = {
  task: "M9 11l3 3L22 4M21 12v7a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2h11",
  call: "M22 16.9v3a2 2 0 0 1-2.2 2 19.8 19.8 0 0 1-8.6-3.1 19.5 19.5 0 0 1-6-6A19.8 19.8 0 0 1 2.1 4.2 2 2 0 0 1 4.1 2h3a2 2 0 0 1 2 1.7c.1.9.4 1.8.7 2.7a2 2 0 0 1-.5 2.1L8 9.8a16 16 0 0 0 6 6l1.3-1.3a2 2 0 0 1 2.1-.4c.9.3 1.8.6 2.7.7a2 2 0 0 1 1.7 2z",
  meeting: "M8 2v4M16 2v4M3 10h18M5 4h14a2 2 0 0 1 2 2v14a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z",
  email: "M4 4h16a2 2 0 0 1 2 2v12a2 2 0 0 1-2 2H4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2zM22 6l-10 7L2 6",
};

export function isOpen(activity: EntityRecord): boolean {
  return activity.status !== "completed" && activity.status !== "cancelled";
}

/** One activity: done-button, type, subject (to its page), due time, what it is about. */
export function ActivityRow({
  activity,
  showRelated = false,
  onChanged,
}: {
  activity: EntityRecord;
  showRelated?: boolean;
  onChanged: (activity: EntityRecord) => void;
}) {
  const t = useT();
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const open = isOpen(activity);
  const overdue = open && (activity.is_overdue === true || isOverdue(activity.due_at as string | null));
  const type = String(activity.type ?? "task");
  const title = String(activity.title ?? "") || t("record.untitled");

  const complete = async () => {
    setBusy(true);
    setProblem(null);
    try {
      const response = await request<EntityRecord>(`/activities/${encodeURIComponent(activity.id)}/complete`, {
        method: "POST",
        body: {},
        headers: ifMatch(activity.version),
      });
      onChanged(response.data);
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return;
      setProblem(error instanceof ApiError ? error.message : t("error.unreachable"));
    } finally {
      setBusy(false);
    }
  };

  const relatedLookup = RELATED_LOOKUP[String(activity.related_type ?? "")];
  return (
    <li className={`activity-row${overdue ? " overdue" : ""}${open ? "" : " done"}`} data-activity={activity.id} data-status={String(activity.status ?? "")}>
      <button
        type="button"
        className="complete-button"
        disabled={!open || busy}
        aria-label={t("activities.completeOne", { title })}
        title={open ? t("activities.status.complete") : t.option("activities", "status", String(activity.status))}
        onClick={() => void complete()}
      >
        <svg viewBox="0 0 24 24" width="14" height="14" aria-hidden="true" focusable="false">
          <path d="M5 12l5 5L20 7" fill="none" stroke="currentColor" strokeWidth="2.4" strokeLinecap="round" strokeLinejoin="round" />
        </svg>
      </button>
      <svg className="icon type-icon" viewBox="0 0 24 24" width="16" height="16" fill="none" stroke="currentColor" strokeWidth="1.8" strokeLinecap="round" strokeLinejoin="round" aria-hidden="true" focusable="false">
        <path d={TYPE_ICONS[type] ?? TYPE_ICONS.task} />
      </svg>
      <div className="activity-main">
        <Link to={`/activities/${encodeURIComponent(activity.id)}`} className="activity-title">
          {title}
        </Link>
        <span className="muted small">
          {t.option("activities", "type", type)}
          {typeof activity.source === "string" && activity.source && (
            <>
              {" · "}
              <span data-source={activity.source}>{t.option("activities", "source", activity.source)}</span>
            </>
          )}
          {showRelated && relatedLookup && typeof activity.related_id === "string" && (
            <>
              {" · "}
              <LookupValue lookup={relatedLookup} id={activity.related_id} />
            </>
          )}
        </span>
        {problem && <span className="field-error">{problem}</span>}
      </div>
      <span className={overdue ? "due overdue" : "due muted small"}>
        {activity.due_at ? t.dateTime(String(activity.due_at)) : ""}
        {overdue && <span className="badge danger">{t("activities.overdue")}</span>}
      </span>
      {!open && <span className="badge">{t.option("activities", "status", String(activity.status))}</span>}
    </li>
  );
}
