// A status path with the record's next step (orders, invoices): the statuses in order,
// where the record left the path (cancelled) shown apart, one primary button for the
// next action and any others beside it. Each action posts `/<entity>/{id}/<verb>` with
// `If-Match`; an action may first ask for something (a reason, an amount).
import { useState, type ReactNode } from "react";
import { ApiError, ifMatch, request } from "../core/api";
import type { EntityRecord } from "../core/meta";
import { useT } from "../i18n";
import { Dialog } from "./Dialog";
import type { RecordPartProps } from "./config";

export interface Ask {
  /** The body's key and the input's label key. */
  name: string;
  labelKey: string;
  required: boolean;
  kind: "text" | "money";
}

export interface Action {
  verb: string;
  labelKey: string;
  primary?: boolean;
  danger?: boolean;
  /** Ask for this before posting (a dialog titled `titleKey`). */
  ask?: Ask & { titleKey: string };
  /** Whether to show it now. */
  when: (record: EntityRecord) => boolean;
}

interface Props extends RecordPartProps {
  path: string[];
  /** Statuses off the path (cancelled). */
  outcomes: string[];
  actions: Action[];
  /** A line under the bar (what happens next, why it was cancelled). */
  note?: (record: EntityRecord) => ReactNode;
  /** After an action succeeded (e.g. a list on another tab to refresh). */
  after?: () => void;
}

export function ActionBar({ entity, record, version, onRecord, path, outcomes, actions, note, after }: Props) {
  const t = useT();
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const [asking, setAsking] = useState<Action | null>(null);
  const [answer, setAnswer] = useState("");
  const status = String(record.status ?? "");
  const index = path.indexOf(status);

  const act = async (action: Action, body: Record<string, unknown> = {}) => {
    setBusy(true);
    setProblem(null);
    try {
      const response = await request<EntityRecord>(`/${entity}/${encodeURIComponent(record.id)}/${action.verb}`, {
        method: "POST",
        body,
        headers: ifMatch(version),
      });
      setAsking(null);
      onRecord(response.data, response.etag);
      after?.();
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return;
      const message = error instanceof ApiError ? error.errors.map((e) => e.message).join("; ") || error.message : String(error);
      setProblem(t("status.failed", { message }));
    } finally {
      setBusy(false);
    }
  };

  const shown = actions.filter((a) => a.when(record));
  return (
    <div className="deal-stages record-status" data-status={status}>
      <ol className="stage-bar" tabIndex={0} aria-label={t("status.label")}>
        {path.map((step, i) => {
          const state = outcomes.includes(status) ? "todo" : i === index ? "current" : i < index ? "done" : "todo";
          return (
            <li key={step} className={`stage ${state}`} aria-current={i === index ? "step" : undefined} data-stage={step}>
              <span>{t.option(entity, "status", step)}</span>
            </li>
          );
        })}
        {outcomes.includes(status) && (
          <li className="stage current outcome lost" aria-current="step" data-stage={status}>
            {t.option(entity, "status", status)}
          </li>
        )}
      </ol>
      {shown.length > 0 && (
        <div className="outcome-buttons">
          {shown.map((action) => (
            <button
              key={action.verb}
              type="button"
              className={`button small ${action.primary ? "primary" : action.danger ? "danger-ghost" : ""}`}
              disabled={busy}
              data-action={action.verb}
              onClick={() => {
                if (action.ask) {
                  setAnswer("");
                  setProblem(null);
                  setAsking(action);
                } else void act(action);
              }}
            >
              {t(action.labelKey)}
            </button>
          ))}
        </div>
      )}
      {note && <p className="muted small outcome-note">{note(record)}</p>}
      {problem && !asking && (
        <p className="form-error" role="alert">
          {problem}
        </p>
      )}
      {asking?.ask && (
        <Dialog
          title={t(asking.ask.titleKey)}
          onClose={() => setAsking(null)}
          onSubmit={() => {
            const value = answer.trim().replace(",", ".");
            if (asking.ask!.required && !value) return;
            void act(asking, value ? { [asking.ask!.name]: value } : {});
          }}
          actions={
            <>
              <button type="button" className="button ghost" onClick={() => setAsking(null)}>
                {t("action.cancel")}
              </button>
              <button type="submit" className={`button ${asking.danger ? "danger" : "primary"}`} disabled={busy || (asking.ask.required && !answer.trim())}>
                {t(asking.labelKey)}
              </button>
            </>
          }
        >
          <div className="field">
            <label className="field-label" htmlFor={`ask-${asking.verb}`}>
              {t(asking.ask.labelKey)}
            </label>
            {asking.ask.kind === "text" ? (
              <textarea id={`ask-${asking.verb}`} rows={3} maxLength={500} autoFocus value={answer} onChange={(e) => setAnswer(e.target.value)} />
            ) : (
              <div className="with-suffix">
                <input id={`ask-${asking.verb}`} type="text" inputMode="decimal" autoComplete="off" autoFocus value={answer} onChange={(e) => setAnswer(e.target.value)} />
                {typeof record.currency === "string" && <span className="suffix">{record.currency}</span>}
              </div>
            )}
          </div>
          {problem && (
            <p className="form-error" role="alert">
              {problem}
            </p>
          )}
        </Dialog>
      )}
    </div>
  );
}
