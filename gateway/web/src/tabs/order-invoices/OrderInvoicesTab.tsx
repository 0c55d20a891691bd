// The order's invoices (`GET /invoices?filter[order_id]=…`), newest first.
import { useEffect, useState } from "react";
import { ApiError, get } from "../../core/api";
import type { EntityRecord } from "../../core/meta";
import type { TabProps } from "../../core/registry";
import { Link } from "../../core/router";
import { useT } from "../../i18n";
import { formatMoney } from "../../views/format";

export default function OrderInvoicesTab({ record }: TabProps) {
  const t = useT();
  const [invoices, setInvoices] = useState<EntityRecord[] | null>(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    const query = new URLSearchParams({ "filter[order_id]": record.id, sort: "-created_at", limit: "100" });
    get<{ items: EntityRecord[] }>(`/invoices?${query.toString()}`).then(
      (body) => setInvoices(body.items ?? []),
      (error) => {
        if (!(error instanceof ApiError && error.status === 401)) setFailed(true);
      },
    );
  }, [record.id]);

  if (failed) return <p className="form-error">{t("error.loadFailed")}</p>;
  if (!invoices) return <div className="loading" aria-busy="true" />;
  if (!invoices.length) return <p className="muted empty-note">{t("orderInvoices.none")}</p>;
  return (
    <table className="simple-table">
      <thead>
        <tr>
          <th scope="col">{t("entity.invoices.field.number")}</th>
          <th scope="col">{t("entity.invoices.field.status")}</th>
          <th scope="col">{t("entity.invoices.field.total")}</th>
          <th scope="col">{t("entity.invoices.field.paid_amount")}</th>
          <th scope="col">{t("entity.invoices.field.due_date")}</th>
        </tr>
      </thead>
      <tbody>
        {invoices.map((invoice) => {
          const currency = typeof invoice.currency === "string" ? invoice.currency : null;
          return (
            <tr key={invoice.id} data-invoice={invoice.id}>
              <td>
                <Link to={`/invoices/${encodeURIComponent(invoice.id)}`}>{String(invoice.number ?? "")}</Link>
              </td>
              <td>{t.option("invoices", "status", String(invoice.status))}</td>
              <td>{formatMoney(t.locale, String(invoice.total ?? ""), currency)}</td>
              <td>{formatMoney(t.locale, String(invoice.paid_amount ?? ""), currency)}</td>
              <td>{invoice.due_date ? t.date(String(invoice.due_date)) : ""}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
