import { useEffect, useId, useRef, useState, type FormEvent } from "react";
import { useT } from "../../i18n";

/** Asks why the deal was lost; nothing happens until a reason is given. */
export function LoseDialog({ onLose, onCancel }: { onLose: (reason: string) => void; onCancel: () => void }) {
  const t = useT();
  const dialog = useRef<HTMLDialogElement>(null);
  const [reason, setReason] = useState("");
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
          <textarea id={`${id}-reason`} rows={3} maxLength={500} required autoFocus value={reason} onChange={(e) => setReason(e.target.value)} />
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
