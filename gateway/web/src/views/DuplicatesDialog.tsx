import { useEffect, useRef } from "react";
import type { EntityRecord } from "../core/meta";
import { Link, setLeaveGuard } from "../core/router";
import { useT } from "../i18n";
import type { EntityConfig } from "./config";

export interface Candidate {
  record: EntityRecord;
  score: number;
  reasons: string[];
}

/** What makes two records look alike, as a short phrase: "same email · similar name". */
export function ReasonList({ reasons }: { reasons: string[] }) {
  const t = useT();
  return (
    <span className="muted small">
      {reasons.map((r) => (t.has(`duplicates.reason.${r}`) ? t(`duplicates.reason.${r}`) : r)).join(" · ")}
    </span>
  );
}

/** Creating found likely duplicates: open one of them, or create the new record anyway. */
export function DuplicatesDialog({
  config,
  candidates,
  onCreateAnyway,
  onClose,
}: {
  config: EntityConfig;
  candidates: Candidate[];
  onCreateAnyway: () => void;
  onClose: () => void;
}) {
  const t = useT();
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const element = dialog.current;
    if (element && !element.open) element.showModal();
    return () => element?.close();
  }, []);
  return (
    <dialog ref={dialog} className="dialog" aria-labelledby="duplicates-title" onCancel={onClose}>
      <h2 id="duplicates-title">{t("duplicates.title")}</h2>
      <p className="muted">{t("duplicates.intro")}</p>
      <ul className="candidate-list">
        {candidates.map((candidate) => (
          <li key={candidate.record.id}>
            <Link
              to={`${config.basePath}/${encodeURIComponent(candidate.record.id)}`}
              onClick={() => {
                // opening the record that already exists is the choice not to make this one
                setLeaveGuard(null);
                onClose();
              }}
            >
              {config.title(candidate.record) || t("record.untitled")}
            </Link>
            <ReasonList reasons={candidate.reasons} />
          </li>
        ))}
      </ul>
      <div className="dialog-actions">
        <button type="button" className="button ghost" onClick={onClose}>
          {t("action.cancel")}
        </button>
        <button type="button" className="button primary" onClick={onCreateAnyway}>
          {t("duplicates.createAnyway")}
        </button>
      </div>
    </dialog>
  );
}
