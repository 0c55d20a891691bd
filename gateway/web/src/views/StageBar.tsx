import { useT } from "../i18n";
import type { StageBar } from "./config";

/** Where the record stands on its path; an outcome off the path is shown after it. */
export function StageBarView({ entity, bar, value }: { entity: string; bar: StageBar; value: string }) {
  const t = useT();
  const position = bar.path.indexOf(value);
  const outcome = bar.outcomes.includes(value) ? value : null;
  return (
    <ol className="stage-bar" tabIndex={0} aria-label={t.field(entity, bar.field)}>
      {bar.path.map((stage, index) => {
        const state = index === position ? "current" : position >= 0 && index < position ? "done" : "todo";
        return (
          <li key={stage} className={`stage ${state}`} aria-current={state === "current" ? "step" : undefined}>
            {t.option(entity, bar.field, stage)}
          </li>
        );
      })}
      {outcome && (
        <li className="stage current outcome" aria-current="step">
          {t.option(entity, bar.field, outcome)}
        </li>
      )}
    </ol>
  );
}
