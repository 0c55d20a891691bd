// The order's status changes (`GET /orders/{id}/history`), newest first.
import { useEffect, useState } from "react";
import { ApiError, get } from "../../core/api";
import type { TabProps } from "../../core/registry";
import { useT } from "../../i18n";
import { LookupValue } from "../../views/Value";

interface Change {
  from: string | null;
  to: string;
  reason: string | null;
  changed_by: string | null;
  changed_at: string;
}

export default function OrderHistoryTab({ record }: TabProps) {
  const t = useT();
  const [items, setItems] = useState<Change[] | null>(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    get<{ items: Change[] }>(`/orders/${encodeURIComponent(record.id)}/history`).then(
      (body) => setItems([...(body.items ?? [])].reverse()),
      (error) => {
        if (!(error instanceof ApiError && error.status === 401)) setFailed(true);
      },
    );
  }, [record.id, record.status]);

  if (failed) return <p className="form-error">{t("error.loadFailed")}</p>;
  if (!items) return <div className="loading" aria-busy="true" />;
  if (!items.length) return <p className="muted empty-note">{t("orderHistory.none")}</p>;
  const status = (value: string | null) => (value ? t.option("orders", "status", value) : "—");
  return (
    <table className="simple-table order-history">
      <thead>
        <tr>
          <th scope="col">{t("orderHistory.when")}</th>
          <th scope="col">{t("orderHistory.from")}</th>
          <th scope="col">{t("orderHistory.to")}</th>
          <th scope="col">{t("orderHistory.reason")}</th>
          <th scope="col">{t("orderHistory.who")}</th>
        </tr>
      </thead>
      <tbody>
        {items.map((change, index) => (
          <tr key={index} data-status={change.to}>
            <td>{t.dateTime(change.changed_at)}</td>
            <td>{status(change.from)}</td>
            <td>{status(change.to)}</td>
            <td>{change.reason ?? ""}</td>
            <td>{change.changed_by ? <LookupValue lookup="users" id={change.changed_by} /> : ""}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
