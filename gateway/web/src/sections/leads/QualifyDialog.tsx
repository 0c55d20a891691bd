// Qualify a lead: its contact (picked or created from the lead's data), its account
// (picked, created or none) and its need. Likely duplicates of a new contact or account
// come back as a 409: each can be used instead, or the new ones created anyway.
import { useId, useState } from "react";
import { ApiError, ifMatch, request } from "../../core/api";
import type { EntityRecord } from "../../core/meta";
import { Link } from "../../core/router";
import { useT } from "../../i18n";
import { Dialog, problemText } from "../../views/Dialog";
import { ReasonList } from "../../views/DuplicatesDialog";
import { LookupPicker } from "../../views/LookupPicker";
import { groupCandidates, type DuplicateCandidate } from "./process";

type Mode = "new" | "existing" | "none";

interface Props {
  lead: EntityRecord;
  version: number | null;
  onDone: (lead: EntityRecord, etag: string | null) => void;
  onClose: () => void;
}

const str = (value: unknown) => (typeof value === "string" ? value : "");

export function QualifyDialog({ lead, version, onDone, onClose }: Props) {
  const t = useT();
  const id = useId();
  const [needType, setNeedType] = useState(str(lead.need_type));
  const [contactMode, setContactMode] = useState<Mode>(lead.contact_id ? "existing" : "new");
  const [contactId, setContactId] = useState<string | null>(str(lead.contact_id) || null);
  const [contact, setContact] = useState({ full_name: str(lead.contact_name), email: str(lead.email), phone: str(lead.phone) });
  const [accountMode, setAccountMode] = useState<Mode>(lead.account_id ? "existing" : lead.account_name ? "new" : "none");
  const [accountId, setAccountId] = useState<string | null>(str(lead.account_id) || null);
  const [accountName, setAccountName] = useState(str(lead.account_name));
  const [candidates, setCandidates] = useState<DuplicateCandidate[] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (choice: { contactId?: string | null; accountId?: string | null; allowDuplicates?: boolean } = {}) => {
    const cMode = choice.contactId ? "existing" : contactMode;
    const aMode = choice.accountId ? "existing" : accountMode;
    const cId = choice.contactId ?? contactId;
    const aId = choice.accountId ?? accountId;
    if (!needType.trim()) {
      setProblem(t("qualify.needTypeRequired"));
      return;
    }
    if (cMode === "existing" && !cId) {
      setProblem(t("qualify.pickContact"));
      return;
    }
    if (aMode === "existing" && !aId) {
      setProblem(t("qualify.pickAccount"));
      return;
    }
    const body: Record<string, unknown> = { need_type: needType.trim() };
    if (cMode === "existing") body.contact_id = cId;
    else
      body.contact = {
        full_name: contact.full_name.trim() || undefined,
        emails: contact.email.trim() ? [{ email: contact.email.trim(), is_primary: true }] : [],
        phones: contact.phone.trim() ? [{ phone: contact.phone.trim(), is_primary: true }] : [],
      };
    if (aMode === "existing") body.account_id = aId;
    else if (aMode === "new") body.account = { name: accountName.trim() || undefined };
    if (choice.allowDuplicates) body.allow_duplicates = true;
    setBusy(true);
    setProblem(null);
    try {
      const response = await request<EntityRecord>(`/leads/${encodeURIComponent(lead.id)}/qualify`, {
        method: "POST",
        body,
        headers: ifMatch(version),
      });
      onDone(response.data, response.etag);
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return;
      if (error instanceof ApiError && error.status === 409 && Array.isArray(error.problem.candidates)) {
        setCandidates(error.problem.candidates as DuplicateCandidate[]);
      } else if (error instanceof ApiError && error.status === 409) {
        setProblem(t("record.conflict"));
      } else {
        setProblem(problemText(error, t("error.saveFailedRecord")));
      }
    } finally {
      setBusy(false);
    }
  };

  /** "Use this one": take the existing record; send again once every kind is settled. */
  const use = (candidate: DuplicateCandidate) => {
    const groups = groupCandidates(candidates ?? []);
    if (candidate.entity === "contact") {
      setContactMode("existing");
      setContactId(candidate.record.id);
      const accountOpen = groups.account.length > 0 && !(accountMode === "existing" && accountId);
      if (!accountOpen) void submit({ contactId: candidate.record.id });
      else setCandidates(candidates!.filter((c) => c.entity !== "contact"));
    } else {
      setAccountMode("existing");
      setAccountId(candidate.record.id);
      const contactOpen = groups.contact.length > 0 && !(contactMode === "existing" && contactId);
      if (!contactOpen) void submit({ accountId: candidate.record.id });
      else setCandidates(candidates!.filter((c) => c.entity !== "account"));
    }
  };

  if (candidates) {
    const groups = groupCandidates(candidates);
    return (
      <Dialog
        title={t("qualify.duplicatesTitle")}
        onClose={() => setCandidates(null)}
        wide
        className="qualify-duplicates"
        actions={
          <>
            <button type="button" className="button ghost" onClick={() => setCandidates(null)}>
              {t("qualify.back")}
            </button>
            <button type="button" className="button" disabled={busy} onClick={() => void submit({ allowDuplicates: true })}>
              {t("qualify.createAnyway")}
            </button>
          </>
        }
      >
        <p className="muted">{t("qualify.duplicatesIntro")}</p>
        {problem && (
          <p className="banner danger" role="alert">
            {problem}
          </p>
        )}
        {(["contact", "account"] as const).map((kind) =>
          groups[kind].length ? (
            <section key={kind} className="candidate-group" aria-label={t(`qualify.similar.${kind}`)}>
              <h3>{t(`qualify.similar.${kind}`)}</h3>
              <ul className="plain-list">
                {groups[kind].map((candidate) => (
                  <li key={candidate.record.id} className="plain-row" data-candidate={candidate.record.id}>
                    <div className="grow">
                      <Link to={`/${kind}s/${encodeURIComponent(candidate.record.id)}`} target="_blank">
                        {str(kind === "contact" ? candidate.record.full_name : candidate.record.name) || t("record.untitled")}
                      </Link>
                      <ReasonList reasons={candidate.reasons ?? []} />
                    </div>
                    <button type="button" className="button small primary" disabled={busy} onClick={() => use(candidate)}>
                      {t("qualify.useThis")}
                    </button>
                  </li>
                ))}
              </ul>
            </section>
          ) : null,
        )}
      </Dialog>
    );
  }

  const radios = (name: string, value: Mode, set: (m: Mode) => void, modes: Mode[]) => (
    <div className="segmented-buttons" role="radiogroup" aria-label={t(`qualify.${name}`)}>
      {modes.map((mode) => (
        <button key={mode} type="button" role="radio" aria-checked={value === mode} onClick={() => set(mode)}>
          {t(`qualify.${name}.${mode}`)}
        </button>
      ))}
    </div>
  );

  return (
    <Dialog
      title={t("qualify.title")}
      onClose={onClose}
      onSubmit={() => void submit()}
      wide
      actions={
        <>
          <button type="button" className="button ghost" onClick={onClose}>
            {t("action.cancel")}
          </button>
          <button type="submit" className="button primary" disabled={busy}>
            {t("qualify.confirm")}
          </button>
        </>
      }
    >
      {problem && (
        <p className="banner danger" role="alert">
          {problem}
        </p>
      )}
      <label className="field" htmlFor={`${id}-need`}>
        <span className="field-label">{t("entity.leads.field.need_type")}</span>
        <input id={`${id}-need`} value={needType} maxLength={100} required autoFocus onChange={(e) => setNeedType(e.target.value)} />
      </label>

      <fieldset className="dialog-group">
        <legend>{t("qualify.contact")}</legend>
        {radios("contact", contactMode, setContactMode, ["new", "existing"])}
        {contactMode === "existing" ? (
          <div className="field">
            <label className="field-label" htmlFor={`${id}-contact`}>
              {t("qualify.contactPick")}
            </label>
            <LookupPicker id={`${id}-contact`} lookup="contacts" value={contactId} onChange={(value) => setContactId(value)} />
          </div>
        ) : (
          <div className="field-grid compact">
            <label className="field wide">
              <span className="field-label">{t("qualify.contact.fullName")}</span>
              <input value={contact.full_name} maxLength={300} onChange={(e) => setContact({ ...contact, full_name: e.target.value })} />
            </label>
            <label className="field">
              <span className="field-label">{t("qualify.contact.email")}</span>
              <input type="email" value={contact.email} onChange={(e) => setContact({ ...contact, email: e.target.value })} />
            </label>
            <label className="field">
              <span className="field-label">{t("qualify.contact.phone")}</span>
              <input type="tel" value={contact.phone} onChange={(e) => setContact({ ...contact, phone: e.target.value })} />
            </label>
          </div>
        )}
      </fieldset>

      <fieldset className="dialog-group">
        <legend>{t("qualify.account")}</legend>
        {radios("account", accountMode, setAccountMode, ["new", "existing", "none"])}
        {accountMode === "existing" && (
          <div className="field">
            <label className="field-label" htmlFor={`${id}-account`}>
              {t("qualify.accountPick")}
            </label>
            <LookupPicker id={`${id}-account`} lookup="accounts" value={accountId} onChange={(value) => setAccountId(value)} />
          </div>
        )}
        {accountMode === "new" && (
          <label className="field">
            <span className="field-label">{t("qualify.account.name")}</span>
            <input value={accountName} maxLength={300} onChange={(e) => setAccountName(e.target.value)} />
          </label>
        )}
      </fieldset>
    </Dialog>
  );
}
