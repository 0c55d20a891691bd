// An invoice's lines: those of the order it was made from (GET /orders/{order_id}),
// with the products' codes and names and the totals, formatted in the reader's locale.
// An invoice made by hand has its totals only, and says so.
import { useEffect, useState } from "react";
import { ApiError, get } from "../../core/api";
import type { EntityRecord } from "../../core/meta";
import type { TabProps } from "../../core/registry";
import { Link } from "../../core/router";
import { useLookupName } from "../../core/lookup";
import { useT } from "../../i18n";
import { formatMoney } from "../../views/format";
import "./invoice-lines.css";

interface Line {
  product_id: string;
  quantity: string;
  /** absent where products hide the reader their price; so are the amounts worked out
   * from it (net, tax, total), and the tax and total where they hide the tax rate */
  price?: string;
  discount: string;
  tax_rate?: string;
  net?: string;
  tax?: string;
  total?: string;
}

interface Order extends EntityRecord {
  number?: string;
  lines?: Line[];
}

function ProductName({ id }: { id: string }) {
  const name = useLookupName("products", id);
  return <Link to={`/products/${encodeURIComponent(id)}`}>{name || id.slice(0, 8)}</Link>;
}

export default function InvoiceLinesTab({ record }: TabProps) {
  const t = useT();
  const orderId = typeof record.order_id === "string" ? record.order_id : null;
  const [order, setOrder] = useState<Order | null>(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    if (!orderId) return;
    get<Order>(`/orders/${encodeURIComponent(orderId)}`).then(setOrder, (error) => {
      if (!(error instanceof ApiError && error.status === 401)) setFailed(true);
    });
  }, [orderId]);

  const currency = typeof record.currency === "string" ? record.currency : null;
  const money = (value: unknown) => formatMoney(t.locale, value == null ? null : String(value), currency);
  /** a line's amount, a dash where the reader's role hides what it is worked out from */
  const lineMoney = (value: string | undefined) => (value === undefined ? "—" : money(value));
  const number = (value: string | undefined) =>
    value === undefined || value === "" ? "—" : new Intl.NumberFormat(t.locale, { maximumFractionDigits: 4 }).format(Number(value));
  const totals = (
    <dl className="invoice-totals" data-part="invoice-totals">
      <dt>{t("invoiceLines.subtotal")}</dt>
      <dd>{money(record.subtotal)}</dd>
      {Number(record.discount_total ?? 0) !== 0 && (
        <>
          <dt>{t("invoiceLines.discountTotal")}</dt>
          <dd>{money(record.discount_total)}</dd>
        </>
      )}
      <dt>{t("invoiceLines.taxTotal")}</dt>
      <dd>{money(record.tax_total)}</dd>
      <dt className="strong">{t("invoiceLines.grandTotal")}</dt>
      <dd className="strong">{money(record.total)}</dd>
    </dl>
  );

  if (!orderId)
    return (
      <div className="invoice-lines">
        <p className="muted">{t("invoiceLines.byHand")}</p>
        {totals}
      </div>
    );
  if (failed) return <p className="form-error">{t("error.loadFailed")}</p>;
  if (!order) return <div className="loading" aria-busy="true" />;
  return (
    <div className="invoice-lines">
      <p className="muted small">{t("invoiceLines.fromOrder", { number: String(order.number ?? "") })}</p>
      <table className="simple-table" data-part="invoice-lines">
        <thead>
          <tr>
            <th scope="col">{t("invoiceLines.product")}</th>
            <th scope="col" className="number">{t("invoiceLines.quantity")}</th>
            <th scope="col" className="number">{t("invoiceLines.price")}</th>
            <th scope="col" className="number">{t("invoiceLines.discount")}</th>
            <th scope="col" className="number">{t("invoiceLines.taxRate")}</th>
            <th scope="col" className="number">{t("invoiceLines.net")}</th>
            <th scope="col" className="number">{t("invoiceLines.tax")}</th>
            <th scope="col" className="number">{t("invoiceLines.total")}</th>
          </tr>
        </thead>
        <tbody>
          {(order.lines ?? []).map((line, index) => (
            <tr key={`${line.product_id}-${index}`}>
              <td>
                <ProductName id={line.product_id} />
              </td>
              <td className="number">{number(line.quantity)}</td>
              <td className="number">{lineMoney(line.price)}</td>
              <td className="number">{number(line.discount)}</td>
              <td className="number">{number(line.tax_rate)}</td>
              <td className="number">{lineMoney(line.net)}</td>
              <td className="number">{lineMoney(line.tax)}</td>
              <td className="number">{lineMoney(line.total)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {totals}
    </div>
  );
}
