// The product's price in every price list: `GET /price-lists`, each list's prices
// (`GET /price-lists/{id}/prices`), and `PUT /price-lists/{id}/prices/{product}` to set one.
import { useCallback, useEffect, useState } from "react";
import { ApiError, get, request } from "../../core/api";
import type { EntityRecord } from "../../core/meta";
import type { TabProps } from "../../core/registry";
import { Link } from "../../core/router";
import { useT } from "../../i18n";
import { formatMoney } from "../../views/format";

interface Row {
  list: EntityRecord;
  price: string | null;
}

export default function PricesTab({ record, reload }: TabProps) {
  const t = useT();
  const [rows, setRows] = useState<Row[] | null>(null);
  const [failed, setFailed] = useState(false);
  const [drafts, setDrafts] = useState<Record<string, string>>({});
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const load = useCallback(async () => {
    try {
      const lists = (await get<{ items: EntityRecord[] }>("/price-lists?limit=100")).items ?? [];
      const priced = await Promise.all(
        lists.map(async (list) => {
          const prices = (await get<{ items: Array<{ product_id: string; price: string }> }>(`/price-lists/${encodeURIComponent(list.id)}/prices`)).items ?? [];
          return { list, price: prices.find((p) => p.product_id === record.id)?.price ?? null };
        }),
      );
      setRows(priced);
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 401)) setFailed(true);
    }
  }, [record.id]);
  useEffect(() => {
    void load();
  }, [load]);

  const save = async (list: EntityRecord) => {
    const price = (drafts[list.id] ?? "").trim().replace(",", ".");
    if (!price) return;
    setBusy(true);
    setProblem(null);
    try {
      await request(`/price-lists/${encodeURIComponent(list.id)}/prices/${encodeURIComponent(record.id)}`, { method: "PUT", body: { price } });
      setDrafts((d) => ({ ...d, [list.id]: "" }));
      await load();
      reload();
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return;
      setProblem(error instanceof ApiError ? error.errors.map((e) => e.message).join("; ") || error.message : String(error));
    } finally {
      setBusy(false);
    }
  };

  if (failed) return <p className="form-error">{t("error.loadFailed")}</p>;
  if (!rows) return <div className="loading" aria-busy="true" />;
  if (!rows.length) return <p className="muted empty-note">{t("prices.noLists")}</p>;
  return (
    <div className="product-prices">
      {problem && (
        <p className="banner danger" role="alert">
          {problem}
        </p>
      )}
      <table className="simple-table">
        <thead>
          <tr>
            <th scope="col">{t("prices.list")}</th>
            <th scope="col">{t("prices.price")}</th>
            <th scope="col">{t("prices.newPrice")}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(({ list, price }) => (
            <tr key={list.id} data-price-list={list.id}>
              <td>
                <Link to={`/price-lists/${list.id}`}>{String(list.name ?? "")}</Link>
                {list.is_default ? <span className="muted small"> · {t("prices.default")}</span> : null}
              </td>
              <td data-part="price">{price ? formatMoney(t.locale, price, String(list.currency ?? "")) : "—"}</td>
              <td>
                <form
                  className="inline-form"
                  onSubmit={(e) => {
                    e.preventDefault();
                    void save(list);
                  }}
                >
                  <div className="with-suffix">
                    <input
                      type="text"
                      inputMode="decimal"
                      autoComplete="off"
                      aria-label={t("prices.newPriceIn", { list: String(list.name ?? "") })}
                      value={drafts[list.id] ?? ""}
                      onChange={(e) => setDrafts((d) => ({ ...d, [list.id]: e.target.value }))}
                    />
                    <span className="suffix">{String(list.currency ?? "")}</span>
                  </div>
                  <button type="submit" className="button small" disabled={busy || !(drafts[list.id] ?? "").trim()}>
                    {t("prices.set")}
                  </button>
                </form>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
