// The pipeline's stages (GET /opportunity-stages), loaded once per session: the stage bar,
// the board and the stage filter all read them.
import { useEffect, useState } from "react";
import { get } from "./api";
import type { Translator } from "../i18n";
import { rememberName } from "./lookup";

export interface Stage {
  id: string;
  name: string;
  position: number;
  probability: number;
  is_final: boolean;
  is_successful: boolean;
  version?: number;
}

let pending: Promise<Stage[]> | null = null;

/** A stage's name in the user's language when it is one of the stages Osprey starts with
 * (an administrator's own names are shown as they wrote them). */
export function stageLabel(t: Translator, name: string): string {
  const key = `stages.name.${name}`;
  return t.has(key) ? t(key) : name;
}

export function loadStages(): Promise<Stage[]> {
  if (!pending) {
    pending = get<{ items: Stage[] }>("/opportunity-stages").then(
      (body) => {
        const stages = [...(body.items ?? [])].sort((a, b) => a.position - b.position);
        for (const stage of stages) rememberName("opportunity-stages", stage.id, stage.name);
        return stages;
      },
      (error) => {
        pending = null;
        throw error;
      },
    );
  }
  return pending;
}

export function forgetStages(): void {
  pending = null;
}

/** The stages by position; null while loading. */
export function useStages(): Stage[] | null {
  const [stages, setStages] = useState<Stage[] | null>(null);
  useEffect(() => {
    let live = true;
    loadStages().then(
      (s) => live && setStages(s),
      () => live && setStages([]),
    );
    return () => {
      live = false;
    };
  }, []);
  return stages;
}
