// Forecasts: plans per user or team and period, entered in a grid of months or quarters,
// with what was won (fact), the weighted pipeline and the gap beside each plan.
import { useEffect, useMemo, useState } from "react";
import { ApiError, get, ifMatch, request } from "../../core/api";
import { hasRole } from "../../core/registry";
import { useSession } from "../../core/session";
import { useT } from "../../i18n";
import { problemText } from "../../views/Dialog";
import { formatMoney } from "../../views/format";
import { cellKey, gapOf, parseAmount, periodsOf, plannersOf, plansByCell, total, type PeriodKind, type Plan, type Planner } from "./forecast";
import "./forecasts.css";

interface Named {
  id: string;
  full_name?: string | null;
  email?: string | null;
  name?: string | null;
}

async function everyPlan(kind: PeriodKind, periods: string[], currency: string): Promise<Plan[]> {
  const out: Plan[] = [];
  let cursor: string | null = null;
  do {
    const query = new URLSearchParams({
      "filter[period_kind]": kind,
      "filter[period_start]": periods.join(","),
      "filter[currency]": currency,
      limit: "200",
    });
    if (cursor) query.set("cursor", cursor);
    const page: { items: Plan[]; next_cursor: string | null } = await get(`/forecasts?${query.toString()}`);
    out.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor);
  return out;
}

async function named(path: string): Promise<Named[]> {
  try {
    return (await get<{ items: Named[] }>(`${path}?limit=200`)).items;
  } catch (error) {
    // Not everyone may list users or teams: the rows then come from the plans in view.
    if (error instanceof ApiError && (error.status === 403 || error.status === 404)) return [];
    throw error;
  }
}

function periodLabel(locale: string, kind: PeriodKind, start: string): string {
  const [y, m] = start.split("-").map(Number);
  if (kind === "quarter") return `Q${Math.floor((m - 1) / 3) + 1}`;
  return new Intl.DateTimeFormat(locale, { month: "short" }).format(new Date(y, m - 1, 1));
}

function PlanCell({
  plan,
  label,
  editable,
  currency,
  onSave,
}: {
  plan: Plan | undefined;
  label: string;
  editable: boolean;
  currency: string;
  onSave: (amount: string | null) => Promise<void>;
}) {
  const t = useT();
  const [text, setText] = useState(plan ? plan.plan_amount : "");
  const [error, setError] = useState<string | null>(null);
  useEffect(() => setText(plan ? plan.plan_amount : ""), [plan?.plan_amount]); // eslint-disable-line react-hooks/exhaustive-deps
  const money = (amount: string) => formatMoney(t.locale, amount, currency);
  const commit = async () => {
    const amount = parseAmount(text);
    if (amount === undefined) {
      setError(t("forecasts.badAmount", { value: text }));
      return;
    }
    setError(null);
    if ((amount ?? null) === (plan ? plan.plan_amount : null)) return;
    if (plan && amount !== null && Number(amount) === Number(plan.plan_amount)) return;
    try {
      await onSave(amount);
    } catch (caught) {
      setError(problemText(caught, t("charts.failed")));
    }
  };
  const gap = plan ? gapOf(plan) : null;
  return (
    <td className="forecast-cell">
      {editable ? (
        <input
          aria-label={label}
          inputMode="decimal"
          value={text}
          aria-invalid={error ? true : undefined}
          onChange={(e) => setText(e.target.value)}
          onBlur={() => void commit()}
          onKeyDown={(e) => {
            if (e.key === "Enter") (e.target as HTMLInputElement).blur();
          }}
        />
      ) : (
        <span className="forecast-plan" aria-label={label}>
          {plan ? money(plan.plan_amount) : ""}
        </span>
      )}
      {plan && (
        <dl className="forecast-figures">
          <dt>{t("forecasts.won")}</dt>
          <dd data-figure="won">{money(plan.fact_amount)}</dd>
          <dt>{t("forecasts.weighted")}</dt>
          <dd data-figure="weighted">{money(plan.weighted_amount)}</dd>
          <dt>{t("forecasts.gap")}</dt>
          <dd data-figure="gap" className={gap && gap.startsWith("-") ? "ahead" : undefined}>
            {money(gap ?? "0")}
          </dd>
        </dl>
      )}
      {error && <p className="field-error">{error}</p>}
    </td>
  );
}

export default function ForecastsSection() {
  const t = useT();
  const { user } = useSession();
  const editable = hasRole(user, ["sales_manager"]);
  const [kind, setKind] = useState<PeriodKind>("month");
  const [year, setYear] = useState(new Date().getFullYear());
  const [currency, setCurrency] = useState("EUR");
  const [plans, setPlans] = useState<Plan[] | null>(null);
  const [people, setPeople] = useState<{ users: Planner[]; teams: Planner[] }>({ users: [], teams: [] });
  const [error, setError] = useState<string | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const periods = useMemo(() => periodsOf(year, kind), [year, kind]);

  useEffect(() => {
    Promise.all([named("/users"), named("/teams")]).then(
      ([users, teams]) =>
        setPeople({
          users: users.map((u) => ({ kind: "user", id: u.id, name: u.full_name || u.email || u.id.slice(0, 8) })),
          teams: teams.map((team) => ({ kind: "team", id: team.id, name: team.name || team.id.slice(0, 8) })),
        }),
      (caught) => setError(problemText(caught, t("charts.failed"))),
    );
  }, []); // eslint-disable-line react-hooks/exhaustive-deps

  const load = () =>
    everyPlan(kind, periods, currency).then(
      (loaded) => {
        setPlans(loaded);
        setError(null);
      },
      (caught) => setError(problemText(caught, t("charts.failed"))),
    );
  useEffect(() => {
    setPlans(null);
    if (/^[A-Z]{3}$/.test(currency)) void load();
  }, [kind, year, currency]); // eslint-disable-line react-hooks/exhaustive-deps

  const cells = useMemo(() => plansByCell(plans ?? []), [plans]);
  const rows = useMemo(() => plannersOf(people.users, people.teams, plans ?? []), [people, plans]);

  const save = async (planner: Planner, start: string, plan: Plan | undefined, amount: string | null) => {
    if (plan && amount === null) {
      await request(`/forecasts/${encodeURIComponent(plan.id)}`, { method: "DELETE", headers: ifMatch(plan.version) });
    } else if (plan) {
      await request(`/forecasts/${encodeURIComponent(plan.id)}`, { method: "PATCH", body: { amount }, headers: ifMatch(plan.version) });
    } else if (amount !== null) {
      await request("/forecasts", {
        method: "POST",
        body: {
          ...(planner.kind === "team" ? { team_id: planner.id } : { owner_id: planner.id }),
          period_kind: kind,
          period_start: start,
          amount,
          currency,
        },
      });
    }
    setNote(t("forecasts.saved"));
    await load();
  };

  return (
    <div className="page forecasts-page">
      <header className="page-head">
        <h1>{t("section.forecasts")}</h1>
        <div className="segmented-buttons" role="group" aria-label={t("forecasts.period")}>
          {(["month", "quarter"] as const).map((k) => (
            <button key={k} type="button" aria-pressed={kind === k} onClick={() => setKind(k)}>
              {t(`forecasts.period.${k}`)}
            </button>
          ))}
        </div>
        <label className="inline-form">
          <span className="field-label">{t("forecasts.year")}</span>
          <input type="number" className="forecast-year" value={year} min={2000} max={2100} onChange={(e) => setYear(Number(e.target.value) || year)} />
        </label>
        <label className="inline-form">
          <span className="field-label">{t("forecasts.currency")}</span>
          <input className="forecast-currency" value={currency} maxLength={3} onChange={(e) => setCurrency(e.target.value.toUpperCase())} />
        </label>
      </header>
      <p className="muted forecast-legend">
        {t("forecasts.legend")} {!editable && t("forecasts.readOnly")}
      </p>
      {note && (
        <p className="muted" role="status">
          {note}
        </p>
      )}
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      {plans && rows.length === 0 && <p className="muted">{t("forecasts.none")}</p>}
      {plans && rows.length > 0 && (
        <div className="forecast-wrap">
          <table className="forecast-grid" aria-label={t("section.forecasts")}>
            <thead>
              <tr>
                <th scope="col">{t("forecasts.who")}</th>
                {periods.map((start) => (
                  <th scope="col" key={start}>
                    {periodLabel(t.locale, kind, start)}
                  </th>
                ))}
                <th scope="col">{t("forecasts.total")}</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((planner) => {
                const own = periods.map((start) => cells.get(cellKey(planner, start))).filter((p): p is Plan => Boolean(p));
                return (
                  <tr key={`${planner.kind}:${planner.id}`} data-planner={planner.kind}>
                    <th scope="row">
                      {planner.name}
                      {planner.kind === "team" && <span className="muted"> · {t("forecasts.team")}</span>}
                    </th>
                    {periods.map((start) => {
                      const plan = cells.get(cellKey(planner, start));
                      return (
                        <PlanCell
                          key={start}
                          plan={plan}
                          currency={currency}
                          editable={editable}
                          label={t("forecasts.planOf", { who: planner.name, period: `${periodLabel(t.locale, kind, start)} ${year}` })}
                          onSave={(amount) => save(planner, start, plan, amount)}
                        />
                      );
                    })}
                    <td className="forecast-cell forecast-total">
                      {own.length > 0 && (
                        <dl className="forecast-figures">
                          <dt>{t("forecasts.plan")}</dt>
                          <dd>{formatMoney(t.locale, total(own.map((p) => p.plan_amount)), currency)}</dd>
                          <dt>{t("forecasts.won")}</dt>
                          <dd>{formatMoney(t.locale, total(own.map((p) => p.fact_amount)), currency)}</dd>
                          <dt>{t("forecasts.weighted")}</dt>
                          <dd>{formatMoney(t.locale, total(own.map((p) => p.weighted_amount)), currency)}</dd>
                          <dt>{t("forecasts.gap")}</dt>
                          <dd>{formatMoney(t.locale, total(own.map(gapOf)), currency)}</dd>
                        </dl>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
