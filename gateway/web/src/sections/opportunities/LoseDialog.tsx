import { useEffect, useId, useRef, useState, type FormEvent } from "react";
import { useLookup } from "../../core/lookups";
import { useT } from "../../i18n";

/** Asks why the deal was lost, from the loss reasons administrators keep (the entry's
 * code is the deal's `lost_reason`); nothing happens until one is picked. */
export function LoseDialog({ onLose, onCancel }: { onLose: (reason: string) => void; onCancel: () => void }) {
  const t = useT();
  const dialog = useRef<HTMLDialogElement>(null);
  const [reason, setReason] = useState("");
  const reasons = useLookup("loss-reasons");
  const id = useId();
  useEffect(() => {
    const element = dialog.current;
    if (element && !element.open) element.showModal();
    return () => element?.close();
  }, []);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    event.stopPropagation();
    if (reason.trim()) onLose(reason.trim());
  };
  return (
    <dialog ref={dialog} className="dialog" aria-labelledby={`${id}-title`} onCancel={onCancel}>
      <form onSubmit={submit}>
        <h2 id={`${id}-title`}>{t("lose.title")}</h2>
        <div className="field">
          <label className="field-label" htmlFor={`${id}-reason`}>
            {t("lose.reason")}
          </label>
          <select id={`${id}-reason`} required autoFocus data-lookup="loss-reasons" value={reason} onChange={(e) => setReason(e.target.value)}>
            <option value="">—</option>
            {(reasons ?? [])
              .filter((entry) => entry.is_active)
              .map((entry) => (
                <option key={entry.code} value={entry.code}>
                  {entry.name}
                </option>
              ))}
          </select>
        </div>
        <div className="dialog-actions">
          <button type="button" className="button ghost" onClick={onCancel}>
            {t("action.cancel")}
          </button>
          <button type="submit" className="button danger" disabled={!reason.trim()}>
            {t("lose.confirm")}
          </button>
        </div>
      </form>
    </dialog>
  );
}
