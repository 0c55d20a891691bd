// The invoice's payments (`GET /invoices/{id}/payments`), oldest first, with their sum.
import { useEffect, useState } from "react";
import { ApiError, get } from "../../core/api";
import type { TabProps } from "../../core/registry";
import { useT } from "../../i18n";
import { LookupValue } from "../../views/Value";
import { formatMoney } from "../../views/format";

interface Payment {
  id: string;
  amount: string;
  paid_at: string;
  registered_by: string;
  registered_at: string;
}

export default function PaymentsTab({ record }: TabProps) {
  const t = useT();
  const [items, setItems] = useState<Payment[] | null>(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    get<{ items: Payment[] }>(`/invoices/${encodeURIComponent(record.id)}/payments`).then(
      (body) => setItems(body.items ?? []),
      (error) => {
        if (!(error instanceof ApiError && error.status === 401)) setFailed(true);
      },
    );
  }, [record.id, record.paid_amount]);

  if (failed) return <p className="form-error">{t("error.loadFailed")}</p>;
  if (!items) return <div className="loading" aria-busy="true" />;
  if (!items.length) return <p className="muted empty-note">{t("payments.none")}</p>;
  const currency = typeof record.currency === "string" ? record.currency : null;
  return (
    <table className="simple-table payments">
      <thead>
        <tr>
          <th scope="col">{t("payments.paidAt")}</th>
          <th scope="col">{t("payments.amount")}</th>
          <th scope="col">{t("payments.by")}</th>
        </tr>
      </thead>
      <tbody>
        {items.map((payment) => (
          <tr key={payment.id} data-payment={payment.id}>
            <td>{t.dateTime(payment.paid_at)}</td>
            <td data-part="amount">{formatMoney(t.locale, payment.amount, currency)}</td>
            <td>
              <LookupValue lookup="users" id={payment.registered_by} />
            </td>
          </tr>
        ))}
      </tbody>
      <tfoot>
        <tr>
          <th scope="row">{t("payments.total")}</th>
          <td data-part="paid">{formatMoney(t.locale, String(record.paid_amount ?? "0"), currency)}</td>
          <td />
        </tr>
      </tfoot>
    </table>
  );
}
