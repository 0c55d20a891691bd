// The deal's tactics: a SWOT grid (strengths, weaknesses, opportunities, threats) and the
// competitors in the deal with their offer and how we compare.
import { useCallback, useEffect, useId, useState, type FormEvent } from "react";
import { ApiError, get, request } from "../../core/api";
import { rememberName } from "../../core/lookup";
import type { TabProps } from "../../core/registry";
import { useT } from "../../i18n";
import { ICONS, Icon } from "../../shell/Icon";
import { LookupPicker } from "../../views/LookupPicker";
import { LookupValue } from "../../views/Value";

const KINDS = ["strength", "weakness", "opportunity", "threat"] as const;

interface Tactic {
  id: string;
  kind: string;
  text: string;
}

interface Competitor {
  id: string;
  account_id: string;
  account_name: string | null;
  offer: string | null;
  comparison: string | null;
}

function problemText(error: unknown): string {
  if (error instanceof ApiError) return error.errors.map((e) => `${e.field}: ${e.message}`).join("; ") || error.message;
  return String(error);
}

export default function TacticsTab({ record }: TabProps) {
  const t = useT();
  const base = `/opportunities/${encodeURIComponent(record.id)}`;
  const [tactics, setTactics] = useState<Tactic[] | null>(null);
  const [competitors, setCompetitors] = useState<Competitor[] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      const [tacticList, competitorList] = await Promise.all([
        get<{ items: Tactic[] }>(`${base}/tactics`),
        get<{ items: Competitor[] }>(`${base}/competitors`),
      ]);
      for (const c of competitorList.items) rememberName("accounts", c.account_id, c.account_name);
      setTactics(tacticList.items);
      setCompetitors(competitorList.items);
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 401)) setProblem(t("error.loadFailed"));
    }
  }, [base]); // eslint-disable-line react-hooks/exhaustive-deps
  useEffect(() => {
    void load();
  }, [load]);

  const call = async (action: () => Promise<unknown>) => {
    setProblem(null);
    try {
      await action();
      await load();
      return true;
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 401)) setProblem(problemText(error));
      return false;
    }
  };

  if (!tactics || !competitors) return problem ? <p className="form-error">{problem}</p> : <div className="loading" aria-busy="true" />;
  return (
    <div className="tactics-tab">
      {problem && (
        <p className="banner danger" role="alert">
          {problem}
        </p>
      )}
      <h3 className="subhead">{t("tactics.swot")}</h3>
      <div className="swot">
        {KINDS.map((kind) => (
          <Quadrant
            key={kind}
            kind={kind}
            items={tactics.filter((x) => x.kind === kind)}
            onAdd={(text) => call(() => request(`${base}/tactics`, { method: "POST", body: { kind, text } }))}
            onRemove={(id) => void call(() => request(`${base}/tactics/${encodeURIComponent(id)}`, { method: "DELETE" }))}
          />
        ))}
      </div>
      <h3 className="subhead">{t("competitors.title")}</h3>
      <Competitors
        items={competitors}
        onAdd={(body) => call(() => request(`${base}/competitors`, { method: "POST", body }))}
        onRemove={(id) => void call(() => request(`${base}/competitors/${encodeURIComponent(id)}`, { method: "DELETE" }))}
      />
    </div>
  );
}

function Quadrant({
  kind,
  items,
  onAdd,
  onRemove,
}: {
  kind: string;
  items: Tactic[];
  onAdd: (text: string) => Promise<boolean>;
  onRemove: (id: string) => void;
}) {
  const t = useT();
  const [text, setText] = useState("");
  const label = t(`tactics.kind.${kind}`);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (text.trim() && (await onAdd(text.trim()))) setText("");
  };
  return (
    <section className={`quadrant ${kind}`} aria-label={label} data-kind={kind}>
      <h4>{label}</h4>
      <ul>
        {items.map((item) => (
          <li key={item.id} data-tactic={item.id}>
            <span className="grow">{item.text}</span>
            <button type="button" className="icon-button" aria-label={t("tactics.remove", { text: item.text })} onClick={() => onRemove(item.id)}>
              <Icon path={ICONS.close} size={14} />
            </button>
          </li>
        ))}
        {items.length === 0 && <li className="muted small">{t("tactics.empty")}</li>}
      </ul>
      <form onSubmit={submit} className="quadrant-add">
        <label className="grow">
          <span className="visually-hidden">{t("tactics.new", { kind: label })}</span>
          <input type="text" value={text} maxLength={1000} placeholder={t("tactics.new", { kind: label })} onChange={(e) => setText(e.target.value)} />
        </label>
        <button type="submit" className="button small" disabled={!text.trim()}>
          {t("tactics.add")}
        </button>
      </form>
    </section>
  );
}

function Competitors({
  items,
  onAdd,
  onRemove,
}: {
  items: Competitor[];
  onAdd: (body: Record<string, unknown>) => Promise<boolean>;
  onRemove: (id: string) => void;
}) {
  const t = useT();
  const id = useId();
  const [accountId, setAccountId] = useState<string | null>(null);
  const [offer, setOffer] = useState("");
  const [comparison, setComparison] = useState("");
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!accountId) return;
    const body: Record<string, unknown> = { account_id: accountId };
    if (offer.trim()) body.offer = offer.trim();
    if (comparison.trim()) body.comparison = comparison.trim();
    if (await onAdd(body)) {
      setAccountId(null);
      setOffer("");
      setComparison("");
    }
  };
  return (
    <div className="competitors">
      {items.length === 0 ? (
        <p className="muted empty-note">{t("competitors.none")}</p>
      ) : (
        <table className="simple-table">
          <thead>
            <tr>
              <th scope="col">{t("competitors.account")}</th>
              <th scope="col">{t("competitors.offer")}</th>
              <th scope="col">{t("competitors.comparison")}</th>
              <th scope="col">
                <span className="visually-hidden">{t("action.delete")}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {items.map((item) => (
              <tr key={item.id} data-competitor={item.id}>
                <td>
                  <LookupValue lookup="accounts" id={item.account_id} />
                </td>
                <td>{item.offer ?? ""}</td>
                <td>{item.comparison ?? ""}</td>
                <td className="cell-actions">
                  <button
                    type="button"
                    className="icon-button"
                    aria-label={t("competitors.remove", { name: item.account_name ?? item.account_id.slice(0, 8) })}
                    onClick={() => onRemove(item.id)}
                  >
                    <Icon path={ICONS.trash} size={16} />
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form className="quick-add wrap" onSubmit={submit} aria-label={t("competitors.add")}>
        <div className="field grow">
          <label className="field-label" htmlFor={`${id}-account`}>
            {t("competitors.account")}
          </label>
          <LookupPicker lookup="accounts" id={`${id}-account`} value={accountId} onChange={(v) => setAccountId(v)} />
        </div>
        <div className="field grow">
          <label className="field-label" htmlFor={`${id}-offer`}>
            {t("competitors.offer")}
          </label>
          <input id={`${id}-offer`} type="text" maxLength={1000} value={offer} onChange={(e) => setOffer(e.target.value)} />
        </div>
        <div className="field grow">
          <label className="field-label" htmlFor={`${id}-comparison`}>
            {t("competitors.comparison")}
          </label>
          <input id={`${id}-comparison`} type="text" maxLength={1000} value={comparison} onChange={(e) => setComparison(e.target.value)} />
        </div>
        <button type="submit" className="button primary" disabled={!accountId}>
          {t("competitors.add")}
        </button>
      </form>
    </div>
  );
}
