// The pipeline board: a column per stage with its open deals (the first `per_stage` of
// each, more on request), counts and totals per currency. Drag a card to another column
// to move the deal (optimistic, rolled back with a message if the server says no);
// drop it on Won to win it, on Lost to lose it with a reason.
import { memo, useCallback, useEffect, useMemo, useReducer, useRef, useState, type DragEvent } from "react";
import { ApiError, get, ifMatch, request } from "../../core/api";
import { rememberName } from "../../core/lookup";
import type { EntityRecord } from "../../core/meta";
import { Link, useSearchParams } from "../../core/router";
import { useSession } from "../../core/session";
import { stageLabel, type Stage } from "../../core/stages";
import { useT } from "../../i18n";
import { ICONS, Icon } from "../../shell/Icon";
import { LookupPicker } from "../../views/LookupPicker";
import { LookupValue } from "../../views/Value";
import { formatMoney } from "../../views/format";
import { ListBoardSwitch } from "./OpportunitiesSection";
import { LoseDialog } from "./LoseDialog";
import { boardReducer, cardOf, findCard, type Card, type Column } from "./board";

const PER_STAGE = 50;
const DRAG_TYPE = "application/x-osprey-deal";

interface Failure {
  title: string;
  message: string;
}

export default function Board() {
  const t = useT();
  const session = useSession();
  const [params, setParams] = useSearchParams();
  const owners = useMemo(() => (params.get("owner") ?? "").split(",").filter(Boolean), [params]);
  const ownerIds = owners.map((o) => (o === "me" ? session.user.id : o));
  const ownerQuery = ownerIds.join(",");
  const [columns, dispatch] = useReducer(boardReducer, [] as Column[]);
  const columnsRef = useRef(columns);
  columnsRef.current = columns;
  const [loaded, setLoaded] = useState(false);
  const [loadError, setLoadError] = useState(false);
  const [failure, setFailure] = useState<Failure | null>(null);
  const [losing, setLosing] = useState<{ cardId: string; stageId: string } | null>(null);
  const [busyColumns, setBusyColumns] = useState<Set<string>>(new Set());
  const [pending, setPending] = useState<Set<string>>(new Set());
  const [note, setNote] = useState<string | null>(null);
  const generation = useRef(0);

  const load = useCallback(async () => {
    const mine = ++generation.current;
    const query = new URLSearchParams({ per_stage: String(PER_STAGE) });
    if (ownerQuery) query.set("owner_id", ownerQuery);
    try {
      const body = await get<{ stages: Column[] }>(`/pipeline?${query.toString()}`);
      if (mine !== generation.current) return;
      for (const column of body.stages)
        for (const card of column.items) if (card.account_id) rememberName("accounts", card.account_id, card.account_name);
      dispatch({ type: "loaded", columns: body.stages });
      setLoadError(false);
    } catch (error) {
      if (mine === generation.current && !(error instanceof ApiError && error.status === 401)) setLoadError(true);
    } finally {
      if (mine === generation.current) setLoaded(true);
    }
  }, [ownerQuery]);

  useEffect(() => {
    void load();
  }, [load]);

  const loadMore = async (column: Column) => {
    if (!column.next_cursor) return;
    setBusyColumns((s) => new Set(s).add(column.stage.id));
    const query = new URLSearchParams({
      "filter[stage_id]": column.stage.id,
      "filter[status]": "open",
      sort: "-updated_at",
      limit: String(PER_STAGE),
      cursor: column.next_cursor,
    });
    if (ownerQuery) query.set("filter[owner_id]", ownerQuery);
    try {
      const body = await get<{ items: EntityRecord[]; next_cursor: string | null }>(`/opportunities?${query.toString()}`);
      dispatch({ type: "more", stageId: column.stage.id, items: body.items.map(cardOf), next_cursor: body.next_cursor });
    } catch {
      setFailure({ title: stageLabel(t, column.stage.name), message: t("board.loadFailed") });
    } finally {
      setBusyColumns((s) => {
        const next = new Set(s);
        next.delete(column.stage.id);
        return next;
      });
    }
  };

  const move = useCallback(
    async (cardId: string, toStageId: string, reason?: string) => {
      const found = findCard(columnsRef.current, cardId);
      const target = columnsRef.current.find((c) => c.stage.id === toStageId)?.stage;
      if (!found || !target || found.stageId === toStageId) return;
      if (target.is_final && !target.is_successful && reason === undefined) {
        setLosing({ cardId, stageId: toStageId });
        return;
      }
      setFailure(null);
      setNote(null);
      dispatch({ type: "move", cardId, toStageId });
      setPending((s) => new Set(s).add(cardId));
      const [action, body] = !target.is_final
        ? ["move", { stage_id: toStageId }]
        : target.is_successful
          ? ["win", {}]
          : ["lose", { reason }];
      try {
        const response = await request<EntityRecord>(`/opportunities/${encodeURIComponent(cardId)}/${action}`, {
          method: "POST",
          body,
          headers: ifMatch(found.card.version),
        });
        if (!target.is_final) {
          const fresh = cardOf(response.data);
          dispatch({
            type: "moved",
            card: { ...found.card, version: fresh.version, probability: fresh.probability, stage_entered_at: fresh.stage_entered_at },
          });
        } else {
          setNote(t(target.is_successful ? "board.wonNote" : "board.lostNote", { title: found.card.title }));
        }
      } catch (error) {
        dispatch({ type: "revert", card: found.card, fromStageId: found.stageId, index: found.index });
        if (error instanceof ApiError && error.status === 401) return;
        const message =
          error instanceof ApiError
            ? error.status === 409 && !error.errors.length
              ? t("record.conflict")
              : error.errors.map((e) => e.message).join("; ") || error.message
            : t("error.unreachable");
        setFailure({ title: found.card.title, message });
      } finally {
        setPending((s) => {
          const next = new Set(s);
          next.delete(cardId);
          return next;
        });
      }
    },
    [t],
  );

  const setOwners = (next: string[]) => {
    const query = new URLSearchParams(params);
    if (next.length) query.set("owner", next.join(","));
    else query.delete("owner");
    setParams(query);
  };
  const onlyMe = owners.length === 1 && owners[0] === "me";
  const stages = columns.map((c) => c.stage);

  return (
    <div className="page board-page">
      <header className="page-head">
        <h1>{t("section.opportunities")}</h1>
        <ListBoardSwitch />
        <div className="owner-filter" role="group" aria-label={t("board.owner")}>
          <div className="segmented-buttons">
            <button type="button" aria-pressed={owners.length === 0} onClick={() => setOwners([])}>
              {t("board.owner.anyone")}
            </button>
            <button type="button" aria-pressed={onlyMe} onClick={() => setOwners(["me"])}>
              {t("board.owner.me")}
            </button>
          </div>
          {owners
            .filter((o) => o !== "me")
            .map((id) => (
              <span key={id} className="chip on" data-owner={id}>
                <LookupValue lookup="users" id={id} link={false} me={session.user.id} />
                <button
                  type="button"
                  className="icon-button"
                  aria-label={t("board.owner.remove", { name: id.slice(0, 8) })}
                  onClick={() => setOwners(owners.filter((o) => o !== id))}
                >
                  <Icon path={ICONS.close} size={12} />
                </button>
              </span>
            ))}
          <label className="owner-picker">
            <span className="visually-hidden">{t("board.owner.add")}</span>
            <LookupPicker
              lookup="users"
              value={null}
              placeholder={t("board.owner.add")}
              onChange={(id) => id && !owners.includes(id) && setOwners([...owners.filter((o) => o !== "me" || owners.length > 1), id])}
            />
          </label>
        </div>
        <div className="spacer" />
        <Link to="/opportunities/new" className="button primary">
          <Icon path={ICONS.plus} size={16} />
          {t("opportunities.new")}
        </Link>
      </header>
      {failure && (
        <div className="banner danger" role="alert">
          <span>{t("board.moveFailed", failure as unknown as Record<string, string>)}</span>
          <button type="button" className="button ghost small" onClick={() => setFailure(null)}>
            {t("action.dismiss")}
          </button>
        </div>
      )}
      <p className="board-note muted small" role="status" aria-live="polite">
        {note}
      </p>
      {loadError && (
        <p className="banner danger" role="alert">
          {t("board.loadFailed")}
        </p>
      )}
      <div className="board" aria-busy={!loaded} data-loaded={loaded || undefined}>
        {columns
          .filter((column) => !column.stage.is_final)
          .map((column) => (
            <BoardColumn
              key={column.stage.id}
              column={column}
              stages={stages}
              busy={busyColumns.has(column.stage.id)}
              pending={pending}
              onDropCard={move}
              onMore={() => void loadMore(column)}
            />
          ))}
      </div>
      {/* Won and Lost stay in sight however far the board is scrolled: drop a deal there to close it. */}
      <div className="outcome-bar">
        {columns
          .filter((column) => column.stage.is_final)
          .map((column) => (
            <BoardColumn key={column.stage.id} column={column} stages={stages} busy={false} pending={pending} onDropCard={move} onMore={() => undefined} />
          ))}
      </div>
      {losing && (
        <LoseDialog
          onCancel={() => setLosing(null)}
          onLose={(reason) => {
            const { cardId, stageId } = losing;
            setLosing(null);
            void move(cardId, stageId, reason);
          }}
        />
      )}
    </div>
  );
}

interface ColumnProps {
  column: Column;
  stages: Stage[];
  busy: boolean;
  pending: Set<string>;
  onDropCard: (cardId: string, stageId: string) => void;
  onMore: () => void;
}

function BoardColumn({ column, stages, busy, pending, onDropCard, onMore }: ColumnProps) {
  const t = useT();
  const [over, setOver] = useState(false);
  const depth = useRef(0);
  const { stage } = column;
  const outcome = stage.is_final ? (stage.is_successful ? "won" : "lost") : null;
  const accept = (event: DragEvent) => {
    if (![...event.dataTransfer.types].includes(DRAG_TYPE) && ![...event.dataTransfer.types].includes("text/plain")) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
  };
  return (
    <section
      className={`board-column${outcome ? ` outcome ${outcome}` : ""}${over ? " drop-target" : ""}`}
      aria-label={stageLabel(t, stage.name)}
      data-stage={stage.id}
      data-stage-name={stage.name}
      onDragEnter={(e) => {
        accept(e);
        depth.current += 1;
        setOver(true);
      }}
      onDragOver={accept}
      onDragLeave={() => {
        depth.current = Math.max(0, depth.current - 1);
        if (depth.current === 0) setOver(false);
      }}
      onDrop={(e) => {
        e.preventDefault();
        depth.current = 0;
        setOver(false);
        const id = e.dataTransfer.getData(DRAG_TYPE) || e.dataTransfer.getData("text/plain");
        if (id) onDropCard(id, stage.id);
      }}
    >
      <header className="column-head">
        <div className="column-title">
          <h2>{stageLabel(t, stage.name)}</h2>
          {!outcome && <span className="count">{column.count}</span>}
          {!outcome && <span className="muted small">{stage.probability}%</span>}
        </div>
        {!outcome && (
          <div className="column-totals">
            {column.totals.length === 0 && column.count > 0 && <span className="muted small">{t.plural("board.deals", column.count)}</span>}
            {column.totals.map((total) => (
              <div key={total.currency} className="total" data-currency={total.currency}>
                <strong>{formatMoney(t.locale, total.amount, total.currency, { compact: true })}</strong>
                <span className="muted small">{t("board.weighted", { amount: formatMoney(t.locale, total.weighted, total.currency, { compact: true }) })}</span>
              </div>
            ))}
          </div>
        )}
      </header>
      {outcome ? (
        <p className="drop-hint">{t(outcome === "won" ? "board.dropWon" : "board.dropLost")}</p>
      ) : (
        <ol className="cards">
          {column.items.map((card) => (
            <DealCard key={card.id} card={card} stageId={stage.id} stages={stages} pending={pending.has(card.id)} onMove={onDropCard} />
          ))}
          {column.items.length === 0 && <li className="muted small empty-column">{t("board.empty")}</li>}
        </ol>
      )}
      {column.next_cursor && (
        <button type="button" className="button ghost small more" onClick={onMore} disabled={busy}>
          {busy ? t("list.loading") : t("board.more")}
        </button>
      )}
    </section>
  );
}

const DealCard = memo(function DealCard({
  card,
  stageId,
  stages,
  pending,
  onMove,
}: {
  card: Card;
  stageId: string;
  stages: Stage[];
  pending: boolean;
  onMove: (cardId: string, stageId: string) => void;
}) {
  const t = useT();
  const session = useSession();
  const [dragging, setDragging] = useState(false);
  return (
    <li
      className={dragging ? "deal-card dragging" : "deal-card"}
      draggable
      data-card={card.id}
      aria-busy={pending}
      onDragStart={(e) => {
        e.dataTransfer.setData(DRAG_TYPE, card.id);
        e.dataTransfer.setData("text/plain", card.id);
        e.dataTransfer.effectAllowed = "move";
        setDragging(true);
      }}
      onDragEnd={() => setDragging(false)}
    >
      <Link to={`/opportunities/${encodeURIComponent(card.id)}`} className="deal-title" draggable={false}>
        {card.title}
      </Link>
      {card.account_id && (
        <span className="deal-account">
          <LookupValue lookup="accounts" id={card.account_id} link={false} />
        </span>
      )}
      <div className="deal-foot">
        <strong className="deal-amount">{card.amount ? formatMoney(t.locale, card.amount, card.currency) : "—"}</strong>
        <span className="deal-owner" title={t("board.owner")}>
          <LookupValue lookup="users" id={card.owner_id} link={false} me={session.user.id} />
        </span>
      </div>
      {card.close_date && <span className="muted small">{t.date(card.close_date)}</span>}
      <label className="card-move">
        <span className="visually-hidden">{t("board.moveCard", { title: card.title })}</span>
        <select value={stageId} onChange={(e) => onMove(card.id, e.target.value)}>
          {stages.map((stage) => (
            <option key={stage.id} value={stage.id}>
              {stageLabel(t, stage.name)}
            </option>
          ))}
        </select>
      </label>
    </li>
  );
});
