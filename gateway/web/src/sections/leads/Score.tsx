// The lead's score beside its name: a badge that opens the reasons (the scoring rules it
// meets, with their points).
import { useEffect, useId, useRef, useState } from "react";
import { useT } from "../../i18n";
import type { RecordPartProps } from "../../views/config";
import { scoreReasons } from "./process";

export function ScoreBadge({ record }: RecordPartProps) {
  const t = useT();
  const id = useId();
  const [open, setOpen] = useState(false);
  const box = useRef<HTMLDivElement>(null);
  const reasons = scoreReasons(record.score_reasons);
  const score = typeof record.score === "number" ? record.score : null;

  useEffect(() => {
    if (!open) return;
    const close = (event: MouseEvent) => {
      if (!box.current?.contains(event.target as Node)) setOpen(false);
    };
    document.addEventListener("mousedown", close);
    return () => document.removeEventListener("mousedown", close);
  }, [open]);

  if (score === null && !reasons.length) return null;
  const level = score === null ? "" : score >= 70 ? "high" : score >= 40 ? "medium" : "low";
  return (
    <div className="score" ref={box}>
      <button
        type="button"
        className={`score-badge ${level}`}
        aria-expanded={open}
        aria-controls={`${id}-reasons`}
        onClick={() => setOpen(!open)}
        onKeyDown={(e) => e.key === "Escape" && setOpen(false)}
        data-score={score ?? ""}
      >
        {t("score.badge", { score: score ?? "—" })}
      </button>
      {open && (
        <div className="score-popover" id={`${id}-reasons`} role="region" aria-label={t("score.why")}>
          <strong>{t("score.why")}</strong>
          {reasons.length ? (
            <ul className="score-reasons">
              {reasons.map((reason) => (
                <li key={reason.rule_id}>
                  <span>{reason.name}</span>
                  <span className={reason.points < 0 ? "points negative" : "points"}>
                    {reason.points > 0 ? "+" : ""}
                    {t.number(reason.points)}
                  </span>
                </li>
              ))}
            </ul>
          ) : (
            <p className="muted small">{t("score.noReasons")}</p>
          )}
        </div>
      )}
    </div>
  );
}
