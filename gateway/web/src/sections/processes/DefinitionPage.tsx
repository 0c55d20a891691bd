// One process: its versions (the latest and the deployed one marked), each to download,
// deploy or open in the designer; start the deployed version by hand.
import { useCallback, useEffect, useState } from "react";
import { ApiError, get, ifMatch, request } from "../../core/api";
import { Link, navigate } from "../../core/router";
import { useT } from "../../i18n";
import { Problem, useProblemText } from "../admin/common";
import { startsByHand, xmlUrl, type DefinitionDetail, type InstanceDetail } from "./api";

export function DefinitionPage({ definitionId }: { definitionId: string }) {
  const t = useT();
  const problemText = useProblemText();
  const [definition, setDefinition] = useState<DefinitionDetail | null>(null);
  const [failed, setFailed] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const load = useCallback(() => {
    get<DefinitionDetail>(`/process-definitions/${encodeURIComponent(definitionId)}`).then(setDefinition, (caught) => {
      if (!(caught instanceof ApiError && caught.status === 401)) setFailed(true);
    });
  }, [definitionId]);
  useEffect(load, [load]);

  const deploy = async (version: number) => {
    if (!definition) return;
    setBusy(true);
    setError(null);
    try {
      await request(`/process-definitions/${encodeURIComponent(definition.id)}/deploy`, {
        method: "POST",
        body: { version },
        headers: ifMatch(definition.row_version),
      });
      load();
    } catch (caught) {
      setError(problemText(caught));
    } finally {
      setBusy(false);
    }
  };

  const start = async () => {
    if (!definition) return;
    setBusy(true);
    setError(null);
    try {
      const { data } = await request<InstanceDetail>("/process-instances", {
        method: "POST",
        body: { definition_id: definition.id },
      });
      navigate(`/processes/instances/${data.id}`);
    } catch (caught) {
      setError(problemText(caught));
      setBusy(false);
    }
  };

  if (failed) return <p className="form-error">{t("error.loadFailed")}</p>;
  if (!definition) return <div className="loading" aria-busy="true" />;
  const deployed = definition.versions.find((v) => v.is_deployed);
  return (
    <section className="card" aria-labelledby="process-title">
      <div className="page-head">
        <Link to="/processes" className="back-link">
          {t("processes.library")}
        </Link>
      </div>
      <div className="page-head">
        <h2 id="process-title" className="grow">
          {definition.name} <code className="muted small">{definition.key}</code>
        </h2>
        {startsByHand(deployed) && (
          <button type="button" className="button" disabled={busy} onClick={() => void start()}>
            {t("processes.startByHand")}
          </button>
        )}
        <Link to={`/processes/definitions/${definition.id}/design`} className="button primary">
          {t("processes.openDesigner")}
        </Link>
      </div>
      <Problem text={error} />
      <table className="simple-table process-table">
        <thead>
          <tr>
            <th>{t("processes.version")}</th>
            <th>{t("processes.name")}</th>
            <th>{t("processes.starts")}</th>
            <th>{t("processes.saved")}</th>
            <th>
              <span className="visually-hidden">{t("processes.actions")}</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {definition.versions.map((v) => (
            <tr key={v.id} data-version={v.number}>
              <td>
                {t("processes.versionN", { n: v.number })}
                {v.number === definition.latest_version && <span className="badge">{t("processes.latestBadge")}</span>}
                {v.is_deployed && <span className="badge accent">{t("processes.deployedBadge")}</span>}
              </td>
              <td>{v.name}</td>
              <td className="small">
                {v.triggers.map((trigger) => (
                  <div key={trigger.start_event_id}>
                    {t(`processes.trigger.${trigger.kind}`)}
                    {trigger.kind !== "manual" && <code> {trigger.name}</code>}
                  </div>
                ))}
              </td>
              <td className="small">{t.dateTime(v.created_at)}</td>
              <td className="process-row-actions">
                <a className="button small" href={xmlUrl(definition.id, v.number)} download={`${definition.key}-v${v.number}.bpmn`}>
                  {t("processes.download")}
                </a>
                <Link className="button small" to={`/processes/definitions/${definition.id}/design?version=${v.number}`}>
                  {t("processes.open")}
                </Link>
                {!v.is_deployed && (
                  <button type="button" className="button small primary" disabled={busy} onClick={() => void deploy(v.number)}>
                    {t("processes.deploy")}
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="muted small">
        <Link to={`/processes/instances?definition=${definition.id}`}>{t("processes.itsInstances")}</Link>
      </p>
    </section>
  );
}
