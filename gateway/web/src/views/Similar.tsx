// Likely duplicates of a contact or an account: a hint under the header, and the list
// (in the Similar tab) with a way to merge one into the record at hand.
import { useCallback, useEffect, useState } from "react";
import { ApiError, get, ifMatch, request } from "../core/api";
import { Link, useSearchParams } from "../core/router";
import { useT } from "../i18n";
import { ReasonList, type Candidate } from "./DuplicatesDialog";
import type { RecordPartProps } from "./config";

const NAME: Record<string, string> = { accounts: "name", contacts: "full_name" };

function useSimilar(entity: string, id: string, version: number | null) {
  const [items, setItems] = useState<Candidate[] | null>(null);
  const [failed, setFailed] = useState(false);
  const load = useCallback(() => {
    get<Candidate[]>(`/${entity}/${encodeURIComponent(id)}/similar`).then(
      (found) => {
        setItems(Array.isArray(found) ? found : []);
        setFailed(false);
      },
      () => setFailed(true),
    );
  }, [entity, id]);
  useEffect(load, [load, version]);
  return { items, failed, load };
}

/** "This record looks like 2 others — review": opens the Similar tab. */
export function SimilarHint({ entity, record, version }: RecordPartProps) {
  const t = useT();
  const { items } = useSimilar(entity, record.id, version);
  const [params, setParams] = useSearchParams();
  if (!items?.length || params.get("tab") === "similar") return null;
  return (
    <div className="hint-bar" role="note" data-similar={items.length}>
      <span>{t.plural("similar.hint", items.length)}</span>
      <button
        type="button"
        className="button small"
        onClick={() => {
          const next = new URLSearchParams(params);
          next.set("tab", "similar");
          setParams(next);
        }}
      >
        {t("similar.review")}
      </button>
    </div>
  );
}

/** The likely duplicates, each with why it looks alike, to open or merge into this one. */
export function SimilarList({ entity, record, reload }: { entity: string; record: { id: string } & Record<string, unknown>; reload: () => void }) {
  const t = useT();
  const { items, failed, load } = useSimilar(entity, record.id, null);
  const [confirm, setConfirm] = useState<Candidate | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const nameOf = (r: Record<string, unknown>) => String(r[NAME[entity]] ?? "") || t("record.untitled");

  const merge = async (candidate: Candidate) => {
    setBusy(true);
    setProblem(null);
    try {
      await request(`/${entity}/${encodeURIComponent(record.id)}/merge`, {
        method: "POST",
        body: { merged_id: candidate.record.id },
        headers: ifMatch(typeof record.version === "number" ? record.version : null),
      });
      setConfirm(null);
      load();
      reload();
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return;
      setProblem(
        error instanceof ApiError && error.status === 405
          ? t("similar.mergeUnavailable")
          : error instanceof ApiError && error.status === 409
            ? t("record.conflict")
            : error instanceof Error
              ? error.message
              : t("error.saveFailedRecord"),
      );
    } finally {
      setBusy(false);
    }
  };

  if (failed) return <p className="form-error">{t("error.loadFailed")}</p>;
  if (!items) return <div className="loading" aria-busy="true" />;
  if (!items.length) return <p className="muted">{t("similar.none")}</p>;
  return (
    <div className="similar">
      {problem && (
        <p className="banner danger" role="alert">
          {problem}
        </p>
      )}
      <ul className="plain-list">
        {items.map((candidate) => (
          <li key={candidate.record.id} className="plain-row" data-candidate={candidate.record.id}>
            <div className="grow">
              <Link to={`/${entity}/${encodeURIComponent(candidate.record.id)}`}>{nameOf(candidate.record)}</Link>
              <ReasonList reasons={candidate.reasons} />
            </div>
            {confirm?.record.id === candidate.record.id ? (
              <div className="inline-confirm" role="alertdialog" aria-label={t("similar.merge")}>
                <span>{t("similar.confirm", { name: nameOf(candidate.record) })}</span>
                <button type="button" className="button danger small" disabled={busy} onClick={() => void merge(candidate)}>
                  {t("similar.mergeNow")}
                </button>
                <button type="button" className="button ghost small" onClick={() => setConfirm(null)}>
                  {t("action.cancel")}
                </button>
              </div>
            ) : (
              <button type="button" className="button small" onClick={() => setConfirm(candidate)}>
                {t("similar.merge")}
              </button>
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}
