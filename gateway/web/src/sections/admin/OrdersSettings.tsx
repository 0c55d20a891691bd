// Orders settings (administrators): whether a won deal gets a proposed draft order.
import { useEffect, useId, useState } from "react";
import { ApiError, get, ifMatch, request } from "../../core/api";
import { addMessages, useT } from "../../i18n";
import { Problem, useProblemText } from "./common";
import ordersMessages from "./messages.orders";

addMessages(ordersMessages);

interface Settings {
  propose_order_on_win: boolean;
  version: number;
  updated_at: string | null;
}

export function OrdersSettings() {
  const t = useT();
  const id = useId();
  const explain = useProblemText();
  const [settings, setSettings] = useState<Settings | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    get<Settings>("/orders-settings").then(setSettings, (error) => {
      if (!(error instanceof ApiError && error.status === 401)) setProblem(explain(error));
    });
  }, []); // eslint-disable-line react-hooks/exhaustive-deps

  const change = async (value: boolean) => {
    if (!settings) return;
    setBusy(true);
    setProblem(null);
    setStatus(null);
    try {
      const response = await request<Settings>("/orders-settings", {
        method: "PUT",
        body: { propose_order_on_win: value },
        headers: ifMatch(settings.version),
      });
      setSettings(response.data);
      setStatus(t("ordersSettings.saved"));
    } catch (error) {
      setProblem(explain(error));
      get<Settings>("/orders-settings").then(setSettings, () => undefined);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card orders-settings" aria-labelledby={`${id}-title`}>
      <div className="page-head">
        <h2 id={`${id}-title`} className="grow">
          {t("ordersSettings.title")}
        </h2>
        {status && (
          <span className="muted" role="status">
            {status}
          </span>
        )}
      </div>
      <Problem text={problem} />
      {!settings && !problem && <div className="loading" aria-busy="true" />}
      {settings && (
        <>
          <label className="check">
            <input
              type="checkbox"
              checked={settings.propose_order_on_win}
              disabled={busy}
              aria-describedby={`${id}-hint`}
              onChange={(e) => void change(e.target.checked)}
            />
            {t("ordersSettings.proposeOnWin")}
          </label>
          <p id={`${id}-hint`} className="muted small">
            {t("ordersSettings.proposeOnWinHint")}
          </p>
          <p className="muted small">
            {settings.updated_at ? t("ordersSettings.changed", { when: t.dateTime(settings.updated_at) }) : t("ordersSettings.never")}
          </p>
        </>
      )}
    </section>
  );
}
