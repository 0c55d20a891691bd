// One instance: its diagram with where it stands highlighted, its open tasks, its log
// (time, step, data, who), and for administrators the repairs of a failed step (retry,
// skip) and cancelling. The instance page shows it, and so does a record's Process tab.
import { lazy, Suspense, useCallback, useEffect, useState } from "react";
import { ApiError, get, request } from "../../core/api";
import { Link } from "../../core/router";
import { useSession } from "../../core/session";
import { addMessages, useT } from "../../i18n";
import { LookupValue } from "../../views/Value";
import { isAdmin } from "../leads/process";
import { ENTITY_OF, fetchXml, stateBadge, type InstanceDetail } from "./api";
import type { Highlight } from "./DiagramView";
import processMessages from "./messages.processes";
import "./processes.css";

addMessages(processMessages);

const DiagramView = lazy(() => import("./DiagramView"));

const OPEN_STATES = ["running", "waiting", "failed"];

function shortData(data: unknown): string {
  if (data === null || data === undefined) return "";
  if (typeof data === "object" && Object.keys(data as object).length === 0) return "";
  const text = JSON.stringify(data);
  return text.length > 240 ? `${text.slice(0, 240)}…` : text;
}

export function highlightsOf(instance: InstanceDetail): Highlight[] {
  const failedAt = instance.state === "failed" ? instance.error?.element_id : undefined;
  const done = new Set(instance.log.map((entry) => entry.element_id).filter((id): id is string => !!id));
  const current = new Set(instance.current.map((c) => c.element_id));
  const list: Highlight[] = [...done].filter((id) => !current.has(id)).map((elementId) => ({ elementId, marker: "done" }));
  for (const c of instance.current) list.push({ elementId: c.element_id, marker: c.element_id === failedAt || c.state === "failed" ? "failed" : "current" });
  if (failedAt && !current.has(failedAt)) list.push({ elementId: failedAt, marker: "failed" });
  return list;
}

export default function InstanceView({
  instanceId,
  onChanged,
  showRecord = true,
}: {
  instanceId: string;
  onChanged?: () => void;
  /** A link to the record (not on the record's own page). */
  showRecord?: boolean;
}) {
  const t = useT();
  const session = useSession();
  const admin = isAdmin(session.user);
  const [instance, setInstance] = useState<InstanceDetail | null>(null);
  const [xml, setXml] = useState<string | null>(null);
  const [failed, setFailed] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const load = useCallback(() => {
    get<InstanceDetail>(`/process-instances/${encodeURIComponent(instanceId)}`).then(setInstance, (caught) => {
      if (!(caught instanceof ApiError && caught.status === 401)) setFailed(true);
    });
  }, [instanceId]);
  useEffect(load, [load]);

  // An action under way finishes in a moment: look again until it waits or ends.
  useEffect(() => {
    if (instance?.state !== "running") return;
    const timer = window.setTimeout(load, 1500);
    return () => window.clearTimeout(timer);
  }, [instance, load]);

  const definitionId = instance?.definition_id;
  const version = instance?.version;
  useEffect(() => {
    if (!definitionId || !version) return;
    fetchXml(definitionId, version).then(setXml, () => setXml(""));
  }, [definitionId, version]);

  const repair = async (what: "retry" | "skip" | "cancel") => {
    if (what === "cancel" && !window.confirm(t("processes.cancelConfirm"))) return;
    setBusy(true);
    setError(null);
    try {
      const { data } = await request<InstanceDetail>(`/process-instances/${encodeURIComponent(instanceId)}/${what}`, {
        method: "POST",
        body: {},
      });
      setInstance(data);
      onChanged?.();
    } catch (caught) {
      setError(caught instanceof ApiError ? caught.message : t("error.saveFailedRecord"));
    } finally {
      setBusy(false);
    }
  };

  if (failed) return <p className="form-error">{t("error.loadFailed")}</p>;
  if (!instance) return <div className="loading" aria-busy="true" />;
  const entity = instance.record_type ? ENTITY_OF[instance.record_type] : undefined;
  const openTasks = instance.tasks.filter((task) => task.state === "open");
  // Some log lines (an activity made for a task) carry the element's id only.
  const names = new Map<string, string>();
  for (const item of [...instance.tasks, ...instance.current]) if (item.name) names.set(item.element_id, item.name);
  for (const entry of instance.log) if (entry.element_id && entry.element_name) names.set(entry.element_id, entry.element_name);
  return (
    <div className="instance-view" data-state={instance.state}>
      <div className="instance-facts">
        <span className={stateBadge(instance.state)} data-testid="instance-state">
          {t(`processes.state.${instance.state}`)}
        </span>
        <span className="muted small">{t("processes.versionN", { n: instance.version })}</span>
        <span className="muted small">{t("processes.startedAt", { at: t.dateTime(instance.started_at) })}</span>
        {instance.next_due_at && <span className="muted small">{t("processes.nextDue", { at: t.dateTime(instance.next_due_at) })}</span>}
        {showRecord && entity && instance.record_id && (
          <Link to={`/${entity}/${instance.record_id}`} className="small">
            {t("processes.theRecord", { type: t(`processes.recordType.${instance.record_type}`) })}
          </Link>
        )}
        <span className="grow" />
        {admin && instance.state === "failed" && (
          <>
            <button type="button" className="button small primary" disabled={busy} onClick={() => void repair("retry")}>
              {t("processes.retry")}
            </button>
            <button type="button" className="button small" disabled={busy} onClick={() => void repair("skip")}>
              {t("processes.skip")}
            </button>
          </>
        )}
        {admin && OPEN_STATES.includes(instance.state) && (
          <button type="button" className="button small danger-ghost" disabled={busy} onClick={() => void repair("cancel")}>
            {t("processes.cancel")}
          </button>
        )}
      </div>
      {error && (
        <p className="banner danger" role="alert">
          {error}
        </p>
      )}
      {instance.state === "failed" && instance.error?.message && (
        <p className="banner danger" role="alert">
          {t("processes.failedStep", { step: (instance.error.element_id && names.get(instance.error.element_id)) || instance.error.element_id || "" })} {instance.error.message}
        </p>
      )}
      <Suspense fallback={<div className="diagram-view loading" aria-busy="true" />}>
        {xml === null ? <div className="diagram-view loading" aria-busy="true" /> : xml ? <DiagramView xml={xml} highlights={highlightsOf(instance)} /> : null}
      </Suspense>
      <div className="instance-columns">
        <section aria-labelledby={`stands-${instance.id}`}>
          <h3 id={`stands-${instance.id}`}>{t("processes.whereItStands")}</h3>
          {instance.current.length === 0 ? (
            <p className="muted small">{t(`processes.state.${instance.state}`)}</p>
          ) : (
            <ul className="plain-list current-list">
              {instance.current.map((c) => (
                <li key={c.element_id} className="plain-row">
                  <span className="grow">{c.name || c.element_id}</span>
                  <span className={c.state === "error" ? "badge danger" : "badge"}>
                    {t.has(`processes.taskState.${c.state}`) ? t(`processes.taskState.${c.state}`) : c.state}
                  </span>
                </li>
              ))}
            </ul>
          )}
          <h3>{t("processes.openTasks")}</h3>
          {openTasks.length === 0 ? (
            <p className="muted small">{t("processes.noOpenTasks")}</p>
          ) : (
            <ul className="plain-list">
              {openTasks.map((task) => (
                <li key={task.id} className="plain-row">
                  <div className="grow">
                    <span>{task.name || task.element_id}</span>
                    <span className="muted small">
                      {task.assignee_id ? <LookupValue lookup="users" id={task.assignee_id} link={false} me={session.user.id} /> : task.candidate_role}
                      {task.due_at && ` · ${t("processes.due", { at: t.dateTime(task.due_at) })}`}
                    </span>
                  </div>
                </li>
              ))}
            </ul>
          )}
        </section>
        <section aria-labelledby={`log-${instance.id}`} className="instance-log">
          <h3 id={`log-${instance.id}`}>{t("processes.log")}</h3>
          <table className="simple-table">
            <thead>
              <tr>
                <th>{t("processes.time")}</th>
                <th>{t("processes.step")}</th>
                <th>{t("processes.data")}</th>
                <th>{t("processes.who")}</th>
              </tr>
            </thead>
            <tbody>
              {instance.log.map((entry) => (
                <tr key={entry.id}>
                  <td className="small nowrap">{t.dateTime(entry.at)}</td>
                  <td>
                    {entry.element_name || (entry.element_id && names.get(entry.element_id)) || entry.element_id || ""}
                    <span className="muted small"> {t.has(`processes.kind.${entry.kind}`) ? t(`processes.kind.${entry.kind}`) : entry.kind}</span>
                  </td>
                  <td className="small">
                    <code className="log-data">{shortData(entry.data)}</code>
                  </td>
                  <td className="small">{entry.actor_name || t("processes.engine")}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      </div>
    </div>
  );
}
