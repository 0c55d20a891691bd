// A record's processes: each instance with where it stands and its open tasks, the
// diagram and log on demand (the Processes section's instance view), and starting a
// process by hand (the deployed ones with a none start event).
import { lazy, Suspense, useCallback, useEffect, useState } from "react";
import { ApiError, get, request } from "../../core/api";
import type { TabProps } from "../../core/registry";
import { Link } from "../../core/router";
import { useSession } from "../../core/session";
import { useT } from "../../i18n";
import { problemText } from "../../views/Dialog";
import { LookupValue } from "../../views/Value";
import { isAdmin } from "../../sections/leads/process";
import {
  RECORD_TYPE_OF,
  startsByHand,
  stateBadge,
  type Definition,
  type DefinitionDetail,
  type Instance,
  type InstanceDetail,
} from "../../sections/processes/api";

const InstanceView = lazy(() => import("../../sections/processes/InstanceView"));

const OPEN = ["running", "waiting", "failed"];

export default function RecordProcessTab({ entity, record }: TabProps) {
  const t = useT();
  const session = useSession();
  const admin = isAdmin(session.user);
  const recordType = RECORD_TYPE_OF[entity];
  const [instances, setInstances] = useState<InstanceDetail[] | Instance[] | null>(null);
  const [startable, setStartable] = useState<Definition[] | null>(null);
  const [choice, setChoice] = useState("");
  const [shown, setShown] = useState<string | null>(null);
  const [failed, setFailed] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const load = useCallback(async () => {
    const query = new URLSearchParams({ "filter[record_type]": recordType, "filter[record_id]": record.id });
    try {
      const { items } = await get<{ items: Instance[] }>(`/process-instances?${query}`);
      // The open ones' tasks come with the instance itself.
      const detailed = await Promise.all(
        items.map((i) => (OPEN.includes(i.state) ? get<InstanceDetail>(`/process-instances/${i.id}`).catch(() => i) : i)),
      );
      setInstances(detailed);
    } catch (caught) {
      if (!(caught instanceof ApiError && caught.status === 401)) setFailed(true);
    }
  }, [recordType, record.id]);
  useEffect(() => void load(), [load]);

  // While an action is under way, look again in a moment.
  useEffect(() => {
    if (!instances?.some((i) => i.state === "running")) return;
    const timer = window.setTimeout(() => void load(), 1500);
    return () => window.clearTimeout(timer);
  }, [instances, load]);

  useEffect(() => {
    (async () => {
      const { items } = await get<{ items: Definition[] }>("/process-definitions");
      const details = await Promise.all(
        items.filter((d) => d.deployed_version).map((d) => get<DefinitionDetail>(`/process-definitions/${d.id}`)),
      );
      const manual = details.filter((d) => startsByHand(d.versions.find((v) => v.is_deployed)));
      setStartable(manual);
      setChoice((current) => current || manual[0]?.id || "");
    })().catch(() => setStartable([]));
  }, []);

  const start = async () => {
    if (!choice) return;
    setBusy(true);
    setError(null);
    try {
      const { data } = await request<InstanceDetail>("/process-instances", {
        method: "POST",
        body: { definition_id: choice, record_type: recordType, record_id: record.id },
      });
      setShown(data.id);
      await load();
    } catch (caught) {
      setError(problemText(caught, t("error.saveFailedRecord")));
    } finally {
      setBusy(false);
    }
  };

  if (failed) return <p className="form-error">{t("error.loadFailed")}</p>;
  if (!instances) return <div className="loading" aria-busy="true" />;
  return (
    <div className="record-process">
      <form
        className="quick-add record-process-start"
        onSubmit={(e) => {
          e.preventDefault();
          void start();
        }}
      >
        {startable && startable.length > 0 ? (
          <>
            <label className="field grow">
              <span className="field-label">{t("recordProcess.choose")}</span>
              <select value={choice} onChange={(e) => setChoice(e.target.value)}>
                {startable.map((d) => (
                  <option key={d.id} value={d.id}>
                    {d.name}
                  </option>
                ))}
              </select>
            </label>
            <button type="submit" className="button primary" disabled={busy || !choice}>
              {t("recordProcess.start")}
            </button>
          </>
        ) : (
          startable && <p className="muted small">{t("recordProcess.noneToStart")}</p>
        )}
      </form>
      {error && (
        <p className="banner danger" role="alert">
          {error}
        </p>
      )}
      {instances.length === 0 && <p className="muted empty-note">{t("recordProcess.none")}</p>}
      <ul className="plain-list">
        {instances.map((i) => {
          const tasks = "tasks" in i ? i.tasks.filter((task) => task.state === "open") : [];
          return (
            <li key={i.id} className="plain-row" data-instance={i.id}>
              <div className="grow">
                <span>
                  <strong>{i.name}</strong> <span className={`${stateBadge(i.state)} record-process-state`}>{t(`recordProcess.state.${i.state}`)}</span>
                </span>
                {i.current.length > 0 && (
                  <span className="muted small">{t("recordProcess.stands", { where: i.current.map((c) => c.name || c.element_id).join(", ") })}</span>
                )}
                {tasks.map((task) => (
                  <span key={task.id} className="small">
                    {t("recordProcess.task", { name: task.name || task.element_id })}
                    {task.assignee_id && (
                      <>
                        {" · "}
                        <LookupValue lookup="users" id={task.assignee_id} link={false} me={session.user.id} />
                      </>
                    )}
                    {task.due_at && ` · ${t.dateTime(task.due_at)}`}
                  </span>
                ))}
                <span className="muted small">{t.dateTime(i.started_at)}</span>
              </div>
              <button type="button" className="button small" aria-expanded={shown === i.id} onClick={() => setShown(shown === i.id ? null : i.id)}>
                {shown === i.id ? t("recordProcess.hide") : t("recordProcess.show")}
              </button>
              {admin && (
                <Link className="button small" to={`/processes/instances/${i.id}`}>
                  {t("recordProcess.open")}
                </Link>
              )}
              {shown === i.id && (
                <div className="record-process-detail">
                  <Suspense fallback={<div className="loading" aria-busy="true" />}>
                    <InstanceView instanceId={i.id} onChanged={() => void load()} showRecord={false} />
                  </Suspense>
                </div>
              )}
            </li>
          );
        })}
      </ul>
    </div>
  );
}
