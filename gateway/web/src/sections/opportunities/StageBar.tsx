// The opportunity's stage bar: the open stages in order (click one to move the deal
// there), then Won and Lost. A closed deal's bar only shows where it ended.
import { useState } from "react";
import { ApiError, ifMatch, request } from "../../core/api";
import { lookupName, useLookup } from "../../core/lookups";
import type { EntityRecord } from "../../core/meta";
import { stageLabel, useStages } from "../../core/stages";
import { useT } from "../../i18n";
import type { RecordPartProps } from "../../views/config";
import { LoseDialog } from "./LoseDialog";

export function OpportunityStageBar({ record, version, onRecord }: RecordPartProps) {
  const t = useT();
  const lossReasons = useLookup("loss-reasons");
  const stages = useStages();
  const [busy, setBusy] = useState(false);
  const [losing, setLosing] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  if (!stages) return <div className="stage-bar placeholder" aria-busy="true" />;

  const open = record.status === "open";
  const path = stages.filter((s) => !s.is_final);
  const currentIndex = path.findIndex((s) => s.id === record.stage_id);
  const won = stages.find((s) => s.is_final && s.is_successful);
  const lost = stages.find((s) => s.is_final && !s.is_successful);

  const act = async (path: string, body?: unknown) => {
    setBusy(true);
    setProblem(null);
    try {
      const response = await request<EntityRecord>(`/opportunities/${encodeURIComponent(record.id)}/${path}`, {
        method: "POST",
        body: body ?? {},
        headers: ifMatch(version),
      });
      onRecord(response.data, response.etag);
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return;
      const message = error instanceof ApiError ? error.errors.map((e) => e.message).join("; ") || error.message : String(error);
      setProblem(t("stages.moveFailed", { message }));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="deal-stages">
      <ol className="stage-bar" tabIndex={0} aria-label={t("stages.label")}>
        {path.map((stage, index) => {
          const state = open ? (index === currentIndex ? "current" : index < currentIndex ? "done" : "todo") : record.status === "won" ? "done" : index <= currentIndex ? "done" : "todo";
          const current = open && index === currentIndex;
          return (
            <li key={stage.id} className={`stage ${state}`} aria-current={current ? "step" : undefined} data-stage={stage.id}>
              {open && !current ? (
                <button type="button" className="stage-button" disabled={busy} title={t("stages.moveTo", { stage: stageLabel(t, stage.name) })} onClick={() => void act("move", { stage_id: stage.id })}>
                  {stageLabel(t, stage.name)}
                </button>
              ) : (
                <span>{stageLabel(t, stage.name)}</span>
              )}
            </li>
          );
        })}
        {!open && (
          <li className={`stage current outcome ${record.status === "won" ? "won" : "lost"}`} aria-current="step">
            {record.status === "won" ? stageLabel(t, won?.name ?? t("stages.win")) : stageLabel(t, lost?.name ?? t("stages.lose"))}
          </li>
        )}
      </ol>
      {open ? (
        <div className="outcome-buttons">
          <button type="button" className="button small won-button" disabled={busy} onClick={() => void act("win")}>
            {t("stages.markWon")}
          </button>
          <button type="button" className="button small danger-ghost" disabled={busy} onClick={() => setLosing(true)}>
            {t("stages.markLost")}
          </button>
        </div>
      ) : (
        <p className="muted small outcome-note">
          {record.status === "won" ? t("stages.closedWon") : t("stages.closedLost", { reason: lookupName(lossReasons, record.lost_reason) || "—" })}
        </p>
      )}
      {problem && (
        <p className="banner danger" role="alert">
          {problem}
        </p>
      )}
      {losing && (
        <LoseDialog
          onCancel={() => setLosing(false)}
          onLose={(reason) => {
            setLosing(false);
            void act("lose", { reason });
          }}
        />
      )}
    </div>
  );
}
