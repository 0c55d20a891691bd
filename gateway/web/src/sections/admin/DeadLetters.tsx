// Administration → Inbound bus: the messages partners' systems published that the bus
// refused, newest first, each with its reason, routing key and body as it came; "Send
// again" publishes it to the bus again (applied now, or refused again as a new entry),
// "Discard" forgets it.
import { useCallback, useEffect, useState } from "react";
import { get, request } from "../../core/api";
import { useT } from "../../i18n";
import { ICONS, Icon } from "../../shell/Icon";
import { Problem, useProblemText } from "./common";

interface DeadLetter {
  id: string;
  message_id: string | null;
  routing_key: string;
  content_type: string | null;
  reason: string;
  received_at: string;
  size: number;
  body: string;
}

interface Page {
  items: DeadLetter[];
  next_cursor: string | null;
}

const PAGE = 50;

export function DeadLetters() {
  const t = useT();
  const explain = useProblemText();
  const [items, setItems] = useState<DeadLetter[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [failed, setFailed] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);

  const load = useCallback((after: string | null) => {
    const query = after ? `&cursor=${encodeURIComponent(after)}` : "";
    get<Page>(`/inbound/dead-letters?limit=${PAGE}${query}`).then(
      (page) => {
        setItems((list) => (after && list ? [...list, ...page.items] : page.items));
        setCursor(page.next_cursor);
        setFailed(false);
      },
      () => setFailed(true),
    );
  }, []);
  useEffect(() => load(null), [load]);

  const act = async (letter: DeadLetter, action: "resend" | "discard") => {
    if (action === "discard" && !window.confirm(t("inbound.confirmDiscard"))) return;
    setProblem(null);
    setNote(null);
    setBusy(letter.id);
    const path = `/inbound/dead-letters/${encodeURIComponent(letter.id)}`;
    try {
      if (action === "resend") await request(`${path}/resend`, { method: "POST" });
      else await request(path, { method: "DELETE" });
      setItems((list) => (list ?? []).filter((item) => item.id !== letter.id));
      setNote(t(action === "resend" ? "inbound.resent" : "inbound.discarded"));
    } catch (error) {
      setProblem(explain(error));
    } finally {
      setBusy(null);
    }
  };

  return (
    <section className="card" aria-labelledby="inbound-title">
      <div className="page-head">
        <h2 id="inbound-title" className="grow">
          {t("inbound.title")}
        </h2>
        {note && (
          <span className="muted" role="status" data-inbound-note>
            {note}
          </span>
        )}
        <button type="button" className="button small ghost" onClick={() => load(null)}>
          {t("inbound.refresh")}
        </button>
      </div>
      <p className="muted small">{t("inbound.intro")}</p>
      <Problem text={problem} />
      {failed && <p className="form-error">{t("error.loadFailed")}</p>}
      {!items && !failed && <div className="loading" aria-busy="true" />}
      {items && items.length === 0 && <p className="muted empty-note">{t("inbound.none")}</p>}
      {items && items.length > 0 && (
        <ul className="plain-list" aria-label={t("inbound.title")}>
          {items.map((letter) => (
            <li key={letter.id} className="plain-row dead-letter" data-dead-letter={letter.id}>
              <div className="grow">
                <p>
                  <strong>{t("inbound.reason")}:</strong> <span data-reason>{letter.reason}</span>
                </p>
                <p className="muted small">
                  {t("inbound.received")} {t.dateTime(letter.received_at)} · {t("inbound.routingKey")} <code>{letter.routing_key || "—"}</code>
                  {letter.message_id && (
                    <>
                      {" "}
                      · {t("inbound.messageId")} <code>{letter.message_id}</code>
                    </>
                  )}
                </p>
                <details>
                  <summary>{t("inbound.body", { size: letter.size })}</summary>
                  <pre className="small">{letter.body}</pre>
                </details>
              </div>
              <div className="inline-fields">
                <button type="button" className="button small" disabled={busy === letter.id} onClick={() => void act(letter, "resend")}>
                  {t("inbound.resend")}
                </button>
                <button type="button" className="button danger-ghost small" disabled={busy === letter.id} onClick={() => void act(letter, "discard")}>
                  <Icon path={ICONS.trash} size={16} />
                  {t("inbound.discard")}
                </button>
              </div>
            </li>
          ))}
        </ul>
      )}
      {cursor && (
        <button type="button" className="button ghost" onClick={() => load(cursor)}>
          {t("inbound.more")}
        </button>
      )}
    </section>
  );
}
