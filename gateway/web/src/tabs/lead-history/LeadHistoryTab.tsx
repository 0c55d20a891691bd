// The lead's way through its stages (what moved it, who, when, why) and who owned it
// (by which distribution rule or by hand).
import { useEffect, useState } from "react";
import { ApiError, get } from "../../core/api";
import type { TabProps } from "../../core/registry";
import { useSession } from "../../core/session";
import { useT } from "../../i18n";
import { LookupValue } from "../../views/Value";
import { lookupName, useLookup } from "../../core/lookups";

interface StageChange {
  id: string;
  from_stage: string | null;
  to_stage: string;
  action: string;
  reason: string | null;
  changed_by: string | null;
  changed_at: string;
}

interface Assignment {
  id: string;
  owner_id: string;
  previous_owner_id: string | null;
  rule_id: string | null;
  rule_name: string | null;
  strategy: string | null;
  assigned_by: string | null;
  assigned_at: string;
}

export default function LeadHistoryTab({ record }: TabProps) {
  const t = useT();
  const me = useSession().user.id;
  const [changes, setChanges] = useState<StageChange[] | null>(null);
  const [assignments, setAssignments] = useState<Assignment[] | null>(null);
  const [failed, setFailed] = useState(false);
  const reasons = useLookup("disqualification-reasons");
  useEffect(() => {
    const id = encodeURIComponent(record.id);
    const fail = (error: unknown) => {
      if (!(error instanceof ApiError && error.status === 401)) setFailed(true);
    };
    get<{ items: StageChange[] }>(`/leads/${id}/history`).then((body) => setChanges(body.items ?? []), fail);
    get<{ items: Assignment[] }>(`/leads/${id}/assignments`).then(
      (body) => setAssignments(body.items ?? []),
      () => setAssignments([]),
    );
  }, [record.id, record.version]);

  const stage = (s: string | null) => (s ? t.option("leads", "stage", s) : "");
  const action = (a: string) => (t.has(`leadHistory.action.${a}`) ? t(`leadHistory.action.${a}`) : a);
  const user = (id: string | null) => (id ? <LookupValue lookup="users" id={id} link={false} me={me} /> : t("leadHistory.system"));

  if (failed) return <p className="form-error">{t("error.loadFailed")}</p>;
  if (!changes) return <div className="loading" aria-busy="true" />;
  const newestFirst = [...changes].reverse();
  return (
    <div className="lead-history">
      <section aria-labelledby="lead-history-stages">
        <h2 id="lead-history-stages" className="subhead">
          {t("leadHistory.stages")}
        </h2>
        {newestFirst.length === 0 ? (
          <p className="muted empty-note">{t("leadHistory.none")}</p>
        ) : (
          <ol className="timeline" aria-label={t("leadHistory.stages")}>
            {newestFirst.map((change, index) => (
              <li key={change.id} className={index === 0 ? "timeline-item current" : "timeline-item"} data-action={change.action} data-stage={change.to_stage}>
                <span className="timeline-dot" aria-hidden="true" />
                <div className="timeline-body">
                  <div className="timeline-title">
                    <strong>{stage(change.to_stage)}</strong>
                    <span className="badge">{action(change.action)}</span>
                    {change.from_stage && <span className="muted small">{t("leadHistory.from", { stage: stage(change.from_stage) })}</span>}
                  </div>
                  {change.reason && <span className="small">{t("leadHistory.reason", { reason: change.action === "disqualify" ? lookupName(reasons, change.reason) : change.reason })}</span>}
                  <span className="muted small">
                    {t.dateTime(change.changed_at)} · {user(change.changed_by)}
                  </span>
                </div>
              </li>
            ))}
          </ol>
        )}
      </section>
      <section aria-labelledby="lead-history-owners">
        <h2 id="lead-history-owners" className="subhead">
          {t("leadHistory.assignments")}
        </h2>
        {!assignments ? (
          <div className="loading" aria-busy="true" />
        ) : assignments.length === 0 ? (
          <p className="muted empty-note">{t("leadHistory.noAssignments")}</p>
        ) : (
          <table className="simple-table assignments">
            <thead>
              <tr>
                <th>{t("leadHistory.owner")}</th>
                <th>{t("leadHistory.previous")}</th>
                <th>{t("leadHistory.how")}</th>
                <th>{t("leadHistory.when")}</th>
              </tr>
            </thead>
            <tbody>
              {assignments.map((a) => (
                <tr key={a.id} data-assignment={a.id}>
                  <td>{user(a.owner_id)}</td>
                  <td>{a.previous_owner_id ? user(a.previous_owner_id) : "—"}</td>
                  <td>
                    {a.rule_id
                      ? t("leadHistory.byRule", { rule: a.rule_name ?? a.rule_id.slice(0, 8), strategy: a.strategy ? t(`leadHistory.strategy.${a.strategy}`) : "" })
                      : t("leadHistory.byHand")}
                  </td>
                  <td>
                    {t.dateTime(a.assigned_at)}
                    {a.assigned_by && (
                      <>
                        {" · "}
                        {user(a.assigned_by)}
                      </>
                    )}
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
