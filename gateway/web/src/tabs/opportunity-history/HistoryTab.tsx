// The deal's way through the stages, oldest first: how long it stayed in each, who moved
// it, and which stages it jumped over.
import { useEffect, useState } from "react";
import { ApiError, get } from "../../core/api";
import type { TabProps } from "../../core/registry";
import { useSession } from "../../core/session";
import { stageLabel } from "../../core/stages";
import { useT } from "../../i18n";
import { LookupValue } from "../../views/Value";
import { humanizeSeconds } from "../../views/format";

interface Visit {
  id: string;
  stage_id: string;
  stage_name: string;
  entered_at: string;
  left_at: string | null;
  seconds_in_stage: number;
  moved_by: string | null;
  skipped: boolean;
}

export default function HistoryTab({ record }: TabProps) {
  const t = useT();
  const session = useSession();
  const [visits, setVisits] = useState<Visit[] | null>(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    get<{ items: Visit[] }>(`/opportunities/${encodeURIComponent(record.id)}/history`).then(
      (body) => setVisits(body.items ?? []),
      (error) => {
        if (!(error instanceof ApiError && error.status === 401)) setFailed(true);
      },
    );
  }, [record.id, record.version]);

  if (failed) return <p className="form-error">{t("error.loadFailed")}</p>;
  if (!visits) return <div className="loading" aria-busy="true" />;
  if (!visits.length) return <p className="muted empty-note">{t("history.none")}</p>;
  return (
    <ol className="timeline" aria-label={t("tab.stageHistory")}>
      {visits.map((visit) => (
        <li key={visit.id} className={visit.skipped ? "timeline-item skipped" : visit.left_at ? "timeline-item" : "timeline-item current"} data-stage={visit.stage_id} data-skipped={visit.skipped || undefined}>
          <span className="timeline-dot" aria-hidden="true" />
          <div className="timeline-body">
            <div className="timeline-title">
              <strong>{stageLabel(t, visit.stage_name)}</strong>
              {visit.skipped ? (
                <span className="badge">{t("history.skipped")}</span>
              ) : (
                <span className="muted">
                  {humanizeSeconds(t.locale, visit.seconds_in_stage)}
                  {!visit.left_at && ` · ${t("history.current")}`}
                </span>
              )}
            </div>
            <span className="muted small">
              {t.dateTime(visit.entered_at)}
              {visit.moved_by && (
                <>
                  {" · "}
                  <LookupValue lookup="users" id={visit.moved_by} link={false} me={session.user.id} />
                </>
              )}
            </span>
          </div>
        </li>
      ))}
    </ol>
  );
}
