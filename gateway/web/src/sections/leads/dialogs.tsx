// The lead's smaller actions, each a dialog: assign, hand off, disqualify, reopen.
import { useId, useState } from "react";
import { ApiError, ifMatch, request } from "../../core/api";
import type { EntityRecord } from "../../core/meta";
import { useT } from "../../i18n";
import { Dialog, problemText } from "../../views/Dialog";
import { CURRENCIES } from "../../views/FieldInput";
import { LookupPicker } from "../../views/LookupPicker";
import { useLookup } from "../../core/lookups";
import { REOPEN_TO } from "./process";

interface ActionProps {
  lead: EntityRecord;
  version: number | null;
  onDone: (lead: EntityRecord, etag: string | null) => void;
  onClose: () => void;
}

/** Post an action; answers with the lead, or the message to show. */
function useAction({ lead, version, onDone }: ActionProps) {
  const t = useT();
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const run = async (verb: string, body: unknown) => {
    setBusy(true);
    setProblem(null);
    try {
      const response = await request<EntityRecord>(`/leads/${encodeURIComponent(lead.id)}/${verb}`, {
        method: "POST",
        body,
        headers: ifMatch(version),
      });
      onDone(response.data, response.etag);
      return response.data;
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return null;
      if (error instanceof ApiError && error.status === 403) setProblem(t("error.forbiddenChange"));
      else if (error instanceof ApiError && error.status === 409 && error.errors.length === 0) setProblem(t("record.conflict"));
      else setProblem(problemText(error, t("error.saveFailedRecord")));
      return null;
    } finally {
      setBusy(false);
    }
  };
  return { busy, problem, run };
}

function Problem({ text }: { text: string | null }) {
  return text ? (
    <p className="banner danger" role="alert">
      {text}
    </p>
  ) : null;
}

export function AssignDialog(props: ActionProps) {
  const t = useT();
  const id = useId();
  const [byRules, setByRules] = useState(true);
  const [owner, setOwner] = useState<string | null>(null);
  const { busy, problem, run } = useAction(props);
  const submit = () => {
    if (!byRules && !owner) return;
    void run("assign", byRules ? {} : { owner_id: owner });
  };
  return (
    <Dialog
      title={t("assign.title")}
      onClose={props.onClose}
      onSubmit={submit}
      actions={
        <>
          <button type="button" className="button ghost" onClick={props.onClose}>
            {t("action.cancel")}
          </button>
          <button type="submit" className="button primary" disabled={busy || (!byRules && !owner)}>
            {t("assign.confirm")}
          </button>
        </>
      }
    >
      <Problem text={problem} />
      <label className="choice">
        <input type="radio" name={`${id}-how`} checked={byRules} onChange={() => setByRules(true)} />
        <span>
          {t("assign.byRules")}
          <span className="muted small block">{t("assign.byRulesHint")}</span>
        </span>
      </label>
      <label className="choice">
        <input type="radio" name={`${id}-how`} checked={!byRules} onChange={() => setByRules(false)} />
        <span>{t("assign.toPerson")}</span>
      </label>
      {!byRules && (
        <div className="field">
          <label className="field-label" htmlFor={`${id}-owner`}>
            {t("entity.leads.field.owner_id")}
          </label>
          <LookupPicker id={`${id}-owner`} lookup="users" value={owner} onChange={(value) => setOwner(value)} />
        </div>
      )}
    </Dialog>
  );
}

export function HandoffDialog(props: ActionProps & { onStarted?: () => void }) {
  const t = useT();
  const id = useId();
  const lead = props.lead;
  const who = String(lead.account_name || lead.contact_name || lead.email || "");
  const [title, setTitle] = useState(`${String(lead.need_type || t("handoff.deal"))}: ${who}`.slice(0, 300));
  const [budget, setBudget] = useState("");
  const [amount, setAmount] = useState("");
  const [currency, setCurrency] = useState("EUR");
  const [closeDate, setCloseDate] = useState("");
  const { busy, problem, run } = useAction(props);
  const submit = () => {
    const body: Record<string, string> = { title: title.trim() };
    if (budget.trim()) body.budget = budget.trim().replace(",", ".");
    if (amount.trim()) body.amount = amount.trim().replace(",", ".");
    body.currency = currency;
    if (closeDate) body.close_date = closeDate;
    void run("handoff", body);
  };
  return (
    <Dialog
      title={t("handoff.title")}
      onClose={props.onClose}
      onSubmit={submit}
      actions={
        <>
          <button type="button" className="button ghost" onClick={props.onClose}>
            {t("action.cancel")}
          </button>
          <button type="submit" className="button primary" disabled={busy || !title.trim()}>
            {t("handoff.confirm")}
          </button>
        </>
      }
    >
      <p className="muted">{t("handoff.intro")}</p>
      <Problem text={problem} />
      <label className="field" htmlFor={`${id}-title`}>
        <span className="field-label">{t("handoff.dealTitle")}</span>
        <input id={`${id}-title`} value={title} maxLength={300} required autoFocus onChange={(e) => setTitle(e.target.value)} />
      </label>
      <div className="field-grid compact">
        <label className="field">
          <span className="field-label">{t("handoff.budget")}</span>
          <input inputMode="decimal" value={budget} onChange={(e) => setBudget(e.target.value)} />
        </label>
        <label className="field">
          <span className="field-label">{t("handoff.amount")}</span>
          <input inputMode="decimal" value={amount} onChange={(e) => setAmount(e.target.value)} />
        </label>
        <label className="field">
          <span className="field-label">{t("handoff.currency")}</span>
          <select value={currency} onChange={(e) => setCurrency(e.target.value)}>
            {CURRENCIES.map((code) => (
              <option key={code} value={code}>
                {code}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span className="field-label">{t("handoff.closeDate")}</span>
          <input type="date" value={closeDate} onChange={(e) => setCloseDate(e.target.value)} />
        </label>
      </div>
    </Dialog>
  );
}

export function DisqualifyDialog(props: ActionProps) {
  const t = useT();
  const id = useId();
  const reasons = useLookup("disqualification-reasons");
  const [reason, setReason] = useState("");
  const { busy, problem, run } = useAction(props);
  const active = (reasons ?? []).filter((r) => r.is_active);
  return (
    <Dialog
      title={t("disqualify.title")}
      onClose={props.onClose}
      onSubmit={() => reason && void run("disqualify", { reason })}
      actions={
        <>
          <button type="button" className="button ghost" onClick={props.onClose}>
            {t("action.cancel")}
          </button>
          <button type="submit" className="button danger" disabled={busy || !reason}>
            {t("disqualify.confirm")}
          </button>
        </>
      }
    >
      <p className="muted">{t("disqualify.intro")}</p>
      <Problem text={problem} />
      <label className="field" htmlFor={`${id}-reason`}>
        <span className="field-label">{t("disqualify.reason")}</span>
        <select id={`${id}-reason`} value={reason} required autoFocus onChange={(e) => setReason(e.target.value)} aria-busy={reasons === null}>
          <option value="">{t("disqualify.choose")}</option>
          {active.map((r) => (
            <option key={r.id} value={r.code}>
              {r.name}
            </option>
          ))}
        </select>
      </label>
    </Dialog>
  );
}

export function ReopenDialog(props: ActionProps) {
  const t = useT();
  const id = useId();
  const [stage, setStage] = useState("qualification");
  const { busy, problem, run } = useAction(props);
  return (
    <Dialog
      title={t("reopen.title")}
      onClose={props.onClose}
      onSubmit={() => void run("reopen", { stage })}
      actions={
        <>
          <button type="button" className="button ghost" onClick={props.onClose}>
            {t("action.cancel")}
          </button>
          <button type="submit" className="button primary" disabled={busy}>
            {t("reopen.confirm")}
          </button>
        </>
      }
    >
      <Problem text={problem} />
      <label className="field" htmlFor={`${id}-stage`}>
        <span className="field-label">{t("reopen.stage")}</span>
        <select id={`${id}-stage`} value={stage} autoFocus onChange={(e) => setStage(e.target.value)}>
          {REOPEN_TO.map((s) => (
            <option key={s} value={s}>
              {t.option("leads", "stage", s)}
            </option>
          ))}
        </select>
      </label>
    </Dialog>
  );
}
