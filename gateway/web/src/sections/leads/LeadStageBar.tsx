// The lead's stage bar: the guided path with where the lead stands, the one next step as
// the primary button, Disqualify beside it, and everything else one click away (click a
// stage to move the lead there by hand; "More" to reassign or nurture).
import { useEffect, useRef, useState } from "react";
import { ApiError, ifMatch, request } from "../../core/api";
import type { EntityRecord } from "../../core/meta";
import { useSession } from "../../core/session";
import { useT } from "../../i18n";
import { ICONS, Icon } from "../../shell/Icon";
import type { RecordPartProps } from "../../views/config";
import { problemText } from "../../views/Dialog";
import { LookupValue } from "../../views/Value";
import { AssignDialog, DisqualifyDialog, HandoffDialog, ReopenDialog } from "./dialogs";
import { lookupName, useLookup } from "../../core/lookups";
import { PATH, isClosed, isManager, movableStages, nextStep } from "./process";
import { QualifyDialog } from "./QualifyDialog";

type DialogKind = "qualify" | "assign" | "handoff" | "disqualify" | "reopen";

/** How long the page waits for sales to announce the deal after a hand-off. */
const POLL_MS = 1000;
const POLL_TRIES = 30;

export function LeadStageBar({ record, version, onRecord }: RecordPartProps) {
  const t = useT();
  const session = useSession();
  const manager = isManager(session.user);
  const stage = String(record.stage ?? "qualification");
  const closed = isClosed(stage);
  const step = nextStep(stage, manager);
  const movable = new Set(movableStages(stage));
  const reasons = useLookup("disqualification-reasons", stage === "disqualified");
  const [dialog, setDialog] = useState<DialogKind | null>(null);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const [more, setMore] = useState(false);
  const moreRef = useRef<HTMLDivElement>(null);

  // Handed off: sales announces the deal shortly; look again until the lead converts.
  useEffect(() => {
    if (stage !== "awaiting_sale") return;
    let tries = 0;
    let live = true;
    const timer = window.setInterval(() => {
      tries += 1;
      if (tries > POLL_TRIES) window.clearInterval(timer);
      request<EntityRecord>(`/leads/${encodeURIComponent(record.id)}`).then(
        (response) => {
          if (live && response.data.stage !== "awaiting_sale") onRecord(response.data, response.etag);
        },
        () => undefined,
      );
    }, POLL_MS);
    return () => {
      live = false;
      window.clearInterval(timer);
    };
  }, [stage, record.id, onRecord]);

  useEffect(() => {
    if (!more) return;
    const close = (event: MouseEvent) => {
      if (!moreRef.current?.contains(event.target as Node)) setMore(false);
    };
    document.addEventListener("mousedown", close);
    return () => document.removeEventListener("mousedown", close);
  }, [more]);

  const done = (lead: EntityRecord, etag: string | null) => {
    setDialog(null);
    setProblem(null);
    onRecord(lead, etag);
  };

  const move = async (to: string) => {
    setMore(false);
    setBusy(true);
    setProblem(null);
    try {
      const response = await request<EntityRecord>(`/leads/${encodeURIComponent(record.id)}`, {
        method: "PATCH",
        body: { stage: to },
        headers: ifMatch(version),
      });
      onRecord(response.data, response.etag);
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return;
      setProblem(
        t("leadStage.moveFailed", {
          message: error instanceof ApiError && error.status === 409 && !error.errors.length ? t("record.conflict") : problemText(error, t("error.saveFailedRecord")),
        }),
      );
    } finally {
      setBusy(false);
    }
  };

  const label = (s: string) => t.option("leads", "stage", s);
  const position = (PATH as readonly string[]).indexOf(stage);
  const primary: Record<string, { kind: DialogKind; key: string } | undefined> = {
    qualify: { kind: "qualify", key: "leadStage.qualify" },
    assign: { kind: "assign", key: "leadStage.assign" },
    handoff: { kind: "handoff", key: "leadStage.handoff" },
    reopen: { kind: "reopen", key: "leadStage.reopen" },
  };
  const action = primary[step];
  const deal = typeof record.opportunity_id === "string" && record.opportunity_id ? record.opportunity_id : null;

  let note: React.ReactNode;
  if (stage === "awaiting_sale")
    note = (
      <>
        <span className="spinner" aria-hidden="true" /> {t("leadStage.note.awaiting_sale")}
        {deal && (
          <>
            {" "}
            <LookupValue lookup="opportunities" id={deal} />
          </>
        )}
      </>
    );
  else if (stage === "converted")
    note = deal ? (
      <>
        {t("leadStage.note.convertedInto")} <LookupValue lookup="opportunities" id={deal} />
      </>
    ) : (
      t("leadStage.note.converted")
    );
  else if (stage === "disqualified") note = t("leadStage.note.disqualified", { reason: lookupName(reasons, record.disqualification_reason) || "—" });
  else note = t(`leadStage.note.${stage}`);

  return (
    <div className="lead-process" data-stage={stage}>
      <div className="deal-stages">
        <ol className="stage-bar" aria-label={t("leadStage.label")}>
          {PATH.map((s, index) => {
            const state = s === stage ? "current" : position >= 0 && index < position ? "done" : stage === "converted" ? "done" : "todo";
            return (
              <li key={s} className={`stage ${state}`} aria-current={s === stage ? "step" : undefined} data-stage={s}>
                {movable.has(s) ? (
                  <button type="button" className="stage-button" disabled={busy} title={t("leadStage.moveTo", { stage: label(s) })} onClick={() => void move(s)}>
                    {label(s)}
                  </button>
                ) : (
                  <span>{label(s)}</span>
                )}
              </li>
            );
          })}
          {(stage === "disqualified" || stage === "nurturing") && (
            <li className={`stage current outcome ${stage}`} aria-current="step" data-stage={stage}>
              <span>{label(stage)}</span>
            </li>
          )}
        </ol>
        <div className="outcome-buttons">
          {action && (
            <button type="button" className="button primary" disabled={busy} onClick={() => setDialog(action.kind)} data-action={action.kind}>
              {t(action.key)}
            </button>
          )}
          {!closed && (
            <button type="button" className="button danger-ghost" disabled={busy} onClick={() => setDialog("disqualify")}>
              {t("leadStage.disqualify")}
            </button>
          )}
          {!closed && (
            <div className="more-menu" ref={moreRef}>
              <button type="button" className="button ghost icon-only" aria-haspopup="menu" aria-expanded={more} aria-label={t("leadStage.more")} title={t("leadStage.more")} onClick={() => setMore(!more)}>
                <Icon path={ICONS.more} size={16} />
              </button>
              {more && (
                <div className="menu-popover" role="menu">
                  {step !== "assign" && (
                    <button type="button" role="menuitem" onClick={() => { setMore(false); setDialog("assign"); }}>
                      {t("leadStage.reassign")}
                    </button>
                  )}
                  {step !== "qualify" && stage !== "nurturing" && (
                    <button type="button" role="menuitem" onClick={() => { setMore(false); setDialog("qualify"); }}>
                      {t("leadStage.requalify")}
                    </button>
                  )}
                  {[...movable].map((s) => (
                    <button key={s} type="button" role="menuitem" onClick={() => void move(s)}>
                      {t("leadStage.moveTo", { stage: label(s) })}
                    </button>
                  ))}
                </div>
              )}
            </div>
          )}
        </div>
      </div>
      <p className="next-step muted small" role="status">
        {note}
      </p>
      {problem && (
        <p className="banner danger" role="alert">
          {problem}
        </p>
      )}
      {dialog === "qualify" && <QualifyDialog lead={record} version={version} onDone={done} onClose={() => setDialog(null)} />}
      {dialog === "assign" && <AssignDialog lead={record} version={version} onDone={done} onClose={() => setDialog(null)} />}
      {dialog === "handoff" && <HandoffDialog lead={record} version={version} onDone={done} onClose={() => setDialog(null)} />}
      {dialog === "disqualify" && <DisqualifyDialog lead={record} version={version} onDone={done} onClose={() => setDialog(null)} />}
      {dialog === "reopen" && <ReopenDialog lead={record} version={version} onDone={done} onClose={() => setDialog(null)} />}
    </div>
  );
}
