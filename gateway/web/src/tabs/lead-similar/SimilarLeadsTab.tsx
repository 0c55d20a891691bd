// Leads that look like this one, to merge: tick the ones that are the same lead, and
// they all become the oldest of them (its empty fields filled from the others, their
// history moved to it, the others deleted). Below, what was merged into it before.
import { useCallback, useEffect, useState } from "react";
import { ApiError, get, request } from "../../core/api";
import type { EntityRecord } from "../../core/meta";
import type { TabProps } from "../../core/registry";
import { Link, navigate } from "../../core/router";
import { useSession } from "../../core/session";
import { useT } from "../../i18n";
import { problemText } from "../../views/Dialog";
import { ReasonList } from "../../views/DuplicatesDialog";
import { LookupValue } from "../../views/Value";
import { keptLead } from "../../sections/leads/process";

interface Candidate {
  record: EntityRecord;
  score: number;
  reasons: string[];
}

interface Merge {
  id: string;
  merged_id: string;
  merged_record: Record<string, unknown>;
  filled_fields: string[];
  merged_by: string;
  merged_at: string;
}

const nameOf = (r: Record<string, unknown>) => String(r.contact_name || r.account_name || r.email || r.phone || "");

export default function SimilarLeadsTab({ record, reload }: TabProps) {
  const t = useT();
  const me = useSession().user.id;
  const [items, setItems] = useState<Candidate[] | null>(null);
  const [merges, setMerges] = useState<Merge[]>([]);
  const [chosen, setChosen] = useState<Set<string>>(new Set());
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const [failed, setFailed] = useState(false);

  const load = useCallback(() => {
    const id = encodeURIComponent(record.id);
    get<Candidate[]>(`/leads/${id}/similar`).then(
      (found) => setItems(Array.isArray(found) ? found : []),
      (error) => !(error instanceof ApiError && error.status === 401) && setFailed(true),
    );
    get<{ items: Merge[] }>(`/leads/${id}/merges`).then(
      (body) => setMerges(body.items ?? []),
      () => setMerges([]),
    );
  }, [record.id]);
  useEffect(load, [load, record.version]);

  const picked = (items ?? []).filter((c) => chosen.has(c.record.id)).map((c) => c.record);
  const kept = keptLead([record, ...picked]);
  const label = (r: Record<string, unknown>) => nameOf(r) || t("record.untitled");

  const merge = async () => {
    setBusy(true);
    setProblem(null);
    try {
      const response = await request<EntityRecord>(`/leads/${encodeURIComponent(record.id)}/merge`, {
        method: "POST",
        body: { lead_ids: picked.map((r) => r.id) },
      });
      setConfirming(false);
      setChosen(new Set());
      if (response.data.id !== record.id) navigate(`/leads/${encodeURIComponent(response.data.id)}?tab=similar`);
      else {
        load();
        reload();
      }
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return;
      setProblem(problemText(error, t("error.saveFailedRecord")));
    } finally {
      setBusy(false);
    }
  };

  if (failed) return <p className="form-error">{t("error.loadFailed")}</p>;
  if (!items) return <div className="loading" aria-busy="true" />;
  return (
    <div className="similar-leads">
      {problem && (
        <p className="banner danger" role="alert">
          {problem}
        </p>
      )}
      {items.length === 0 ? (
        <p className="muted empty-note">{t("similarLeads.none")}</p>
      ) : (
        <>
          <p className="muted small">{t("similarLeads.intro")}</p>
          <ul className="plain-list">
            {items.map((candidate) => (
              <li key={candidate.record.id} className="plain-row" data-candidate={candidate.record.id}>
                <label className="check">
                  <input
                    type="checkbox"
                    checked={chosen.has(candidate.record.id)}
                    aria-label={t("similarLeads.choose", { name: label(candidate.record) })}
                    onChange={(e) => {
                      const next = new Set(chosen);
                      if (e.target.checked) next.add(candidate.record.id);
                      else next.delete(candidate.record.id);
                      setChosen(next);
                      setConfirming(false);
                    }}
                  />
                </label>
                <div className="grow">
                  <Link to={`/leads/${encodeURIComponent(candidate.record.id)}`}>{label(candidate.record)}</Link>
                  <ReasonList reasons={candidate.reasons} />
                </div>
                <span className="muted small">
                  {t.option("leads", "stage", String(candidate.record.stage ?? ""))} · {t.date(String(candidate.record.created_at ?? ""))}
                </span>
              </li>
            ))}
          </ul>
          <div className="merge-bar">
            {confirming && kept ? (
              <div className="inline-confirm" role="alertdialog" aria-label={t("similarLeads.merge")}>
                <span>
                  {t.plural("similarLeads.confirm", picked.length, { kept: label(kept), date: t.date(String(kept.created_at ?? "")) })}
                </span>
                <button type="button" className="button danger small" disabled={busy} onClick={() => void merge()}>
                  {t("similarLeads.mergeNow")}
                </button>
                <button type="button" className="button ghost small" onClick={() => setConfirming(false)}>
                  {t("action.cancel")}
                </button>
              </div>
            ) : (
              <>
                <span className="muted small">{t("similarLeads.keepsOldest")}</span>
                <button type="button" className="button small" disabled={!picked.length} onClick={() => setConfirming(true)}>
                  {t.plural("similarLeads.mergeCount", picked.length)}
                </button>
              </>
            )}
          </div>
        </>
      )}
      {merges.length > 0 && (
        <section className="merged-before" aria-labelledby="merged-before">
          <h2 id="merged-before" className="subhead">
            {t("similarLeads.mergedBefore")}
          </h2>
          <ul className="plain-list">
            {merges.map((m) => (
              <li key={m.id} className="plain-row" data-merged={m.merged_id}>
                <div className="grow">
                  <span>{label(m.merged_record)}</span>
                  <span className="muted small">
                    {t.dateTime(m.merged_at)} · <LookupValue lookup="users" id={m.merged_by} link={false} me={me} />
                  </span>
                </div>
              </li>
            ))}
          </ul>
        </section>
      )}
    </div>
  );
}
