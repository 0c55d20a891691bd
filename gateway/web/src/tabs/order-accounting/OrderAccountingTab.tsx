// The order's messages to and from the accounting system (`GET /orders/{id}/accounting`),
// newest first; docs/accounting.md.
import { useCallback, useEffect, useState } from "react";
import { ApiError, get, request } from "../../core/api";
import type { TabProps } from "../../core/registry";
import { useT } from "../../i18n";

interface Message {
  direction: "out" | "in";
  message_id: string | null;
  type: string | null;
  order_seq: number | null;
  at: string | null;
  state: string;
  data: unknown;
  error?: string | null;
}

interface Log {
  status: string;
  messages: Message[];
}

function details(message: Message): string {
  if (message.error) return message.error;
  if (!message.data || typeof message.data !== "object") return "";
  const data = message.data as Record<string, unknown>;
  const parts: string[] = [];
  for (const [key, value] of Object.entries(data)) {
    if (value === null || value === undefined || value === "") continue;
    parts.push(`${key}: ${typeof value === "object" ? JSON.stringify(value) : String(value)}`);
  }
  return parts.join("; ");
}

export default function OrderAccountingTab({ record }: TabProps) {
  const t = useT();
  const [log, setLog] = useState<Log | null>(null);
  const [failed, setFailed] = useState(false);
  const [busy, setBusy] = useState(false);
  const load = useCallback(() => {
    get<Log>(`/orders/${encodeURIComponent(record.id)}/accounting`).then(
      (body) => setLog({ ...body, messages: [...(body.messages ?? [])].reverse() }),
      (error) => {
        if (!(error instanceof ApiError && error.status === 401)) setFailed(true);
      },
    );
  }, [record.id]);
  useEffect(load, [load, record.accounting_status, record.version]);

  const askStock = async () => {
    setBusy(true);
    try {
      await request(`/orders/${encodeURIComponent(record.id)}/stock-query`, { method: "POST" });
      window.setTimeout(load, 1500);
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 401)) setFailed(true);
    } finally {
      setBusy(false);
    }
  };

  if (failed) return <p className="form-error">{t("error.loadFailed")}</p>;
  if (!log) return <div className="loading" aria-busy="true" />;
  const name = (prefix: string, value: string | null) => {
    if (!value) return "—";
    const key = `orderAccounting.${prefix}.${value}`;
    const text = t(key);
    return text === key ? value : text;
  };
  return (
    <div className="order-accounting">
      {record.status !== "draft" && (
        <div className="record-extra-actions">
          <button type="button" className="button small" data-action="stock-query" disabled={busy} onClick={() => void askStock()}>
            {t("orderAccounting.stockQuery")}
          </button>
        </div>
      )}
      {!log.messages.length ? (
        <p className="muted empty-note">{t("orderAccounting.none")}</p>
      ) : (
        <table className="simple-table order-accounting-log">
          <thead>
            <tr>
              <th scope="col">{t("orderAccounting.when")}</th>
              <th scope="col">{t("orderAccounting.direction")}</th>
              <th scope="col">{t("orderAccounting.type")}</th>
              <th scope="col">{t("orderAccounting.seq")}</th>
              <th scope="col">{t("orderAccounting.state")}</th>
              <th scope="col">{t("orderAccounting.details")}</th>
            </tr>
          </thead>
          <tbody>
            {log.messages.map((message, index) => (
              <tr key={message.message_id ?? index} data-direction={message.direction} data-type={message.type ?? ""} data-state={message.state}>
                <td>{message.at ? t.dateTime(message.at) : ""}</td>
                <td>{t(`orderAccounting.${message.direction}`)}</td>
                <td>{name("type", message.type)}</td>
                <td>{message.order_seq ?? ""}</td>
                <td>{name("state", message.state)}</td>
                <td className="small">{details(message)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
