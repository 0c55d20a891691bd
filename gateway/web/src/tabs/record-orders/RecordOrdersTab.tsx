// The orders of an account or a deal (`GET /orders?filter[account_id]=…` or
// `filter[opportunity_id]=…`). On a deal, "Create order" drafts one from it
// (`POST /orders/from-opportunity`); on an account, "New order" opens one with the
// account set.
import { useCallback, useEffect, useState } from "react";
import { ApiError, get, request } from "../../core/api";
import type { EntityRecord } from "../../core/meta";
import type { TabProps } from "../../core/registry";
import { Link, navigate } from "../../core/router";
import { useT } from "../../i18n";
import { ICONS, Icon } from "../../shell/Icon";
import { formatMoney } from "../../views/format";

const FILTER: Record<string, string> = { accounts: "account_id", opportunities: "opportunity_id" };

export default function RecordOrdersTab({ entity, record }: TabProps) {
  const t = useT();
  const [orders, setOrders] = useState<EntityRecord[] | null>(null);
  const [failed, setFailed] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const [another, setAnother] = useState(false);
  const [busy, setBusy] = useState(false);
  const field = FILTER[entity];

  const load = useCallback(() => {
    const query = new URLSearchParams({ [`filter[${field}]`]: record.id, sort: "-created_at", limit: "100" });
    get<{ items: EntityRecord[] }>(`/orders?${query.toString()}`).then(
      (body) => setOrders(body.items ?? []),
      (error) => {
        if (!(error instanceof ApiError && error.status === 401)) setFailed(true);
      },
    );
  }, [field, record.id]);
  useEffect(load, [load]);

  const fromDeal = async (allowAnother: boolean) => {
    setBusy(true);
    setProblem(null);
    try {
      const response = await request<EntityRecord>("/orders/from-opportunity", {
        method: "POST",
        body: { opportunity_id: record.id, ...(allowAnother ? { allow_another: true } : {}) },
      });
      navigate(`/orders/${encodeURIComponent(response.data.id)}`);
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return;
      const message = error instanceof ApiError ? error.errors.map((e) => e.message).join("; ") || error.message : String(error);
      setProblem(message);
      setAnother(error instanceof ApiError && error.status === 409);
    } finally {
      setBusy(false);
    }
  };

  if (failed) return <p className="form-error">{t("error.loadFailed")}</p>;
  if (!orders) return <div className="loading" aria-busy="true" />;
  return (
    <div className="record-orders">
      <div className="tab-actions">
        {entity === "opportunities" ? (
          <button type="button" className="button small" disabled={busy} data-action="order-from-deal" onClick={() => void fromDeal(false)}>
            <Icon path={ICONS.plus} size={14} />
            {t("recordOrders.fromDeal")}
          </button>
        ) : (
          <Link to={`/orders/new?set.account_id=${encodeURIComponent(record.id)}`} className="button small">
            <Icon path={ICONS.plus} size={14} />
            {t("recordOrders.new")}
          </Link>
        )}
      </div>
      {problem && (
        <div className="banner warning" role="alert">
          <span>{problem}</span>
          {another && (
            <button type="button" className="button small" disabled={busy} onClick={() => void fromDeal(true)}>
              {t("recordOrders.another")}
            </button>
          )}
        </div>
      )}
      {orders.length === 0 ? (
        <p className="muted empty-note">{t("recordOrders.none")}</p>
      ) : (
        <table className="simple-table">
          <thead>
            <tr>
              <th scope="col">{t("entity.orders.field.number")}</th>
              <th scope="col">{t("entity.orders.field.status")}</th>
              <th scope="col">{t("entity.orders.field.total")}</th>
              <th scope="col">{t("entity.orders.field.created_at")}</th>
            </tr>
          </thead>
          <tbody>
            {orders.map((order) => (
              <tr key={order.id} data-order={order.id}>
                <td>
                  <Link to={`/orders/${encodeURIComponent(order.id)}`}>{String(order.number ?? "")}</Link>
                </td>
                <td>{t.option("orders", "status", String(order.status))}</td>
                <td>{formatMoney(t.locale, String(order.total ?? ""), typeof order.currency === "string" ? order.currency : null)}</td>
                <td>{order.created_at ? t.dateTime(String(order.created_at)) : ""}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
