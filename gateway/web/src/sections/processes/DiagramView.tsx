// A read-only diagram (bpmn-js NavigatedViewer: pan and zoom) with the elements an
// instance stands in highlighted. Loaded on demand, bpmn-js with it.
import NavigatedViewer from "bpmn-js/lib/NavigatedViewer";
import { useEffect, useRef, useState } from "react";
import { useT } from "../../i18n";
import "./bpmn-styles";
import { spiffModdle } from "./spiff";

export interface Highlight {
  elementId: string;
  /** "current" (where it stands), "failed", or "done" (a step it took). */
  marker: "current" | "failed" | "done";
}

export default function DiagramView({ xml, highlights }: { xml: string; highlights: Highlight[] }) {
  const t = useT();
  const container = useRef<HTMLDivElement>(null);
  const [failed, setFailed] = useState(false);
  const [ready, setReady] = useState(false);
  const markers = JSON.stringify(highlights);

  useEffect(() => {
    if (!container.current) return;
    const viewer = new NavigatedViewer({ container: container.current, moddleExtensions: { spiffworkflow: spiffModdle } });
    let gone = false;
    viewer
      .importXML(xml)
      .then(() => {
        if (gone) return;
        const canvas = viewer.get<{ zoom(level: string): void; addMarker(id: string, marker: string): void }>("canvas");
        const registry = viewer.get<{ get(id: string): unknown }>("elementRegistry");
        canvas.zoom("fit-viewport");
        for (const h of JSON.parse(markers) as Highlight[]) {
          if (registry.get(h.elementId)) canvas.addMarker(h.elementId, `process-${h.marker}`);
        }
        setReady(true);
      })
      .catch(() => !gone && setFailed(true));
    // A diagram uploaded without its drawing (no BPMN DI) has nothing to show.
    if (!/BPMNDiagram/.test(xml)) setFailed(true);
    return () => {
      gone = true;
      viewer.destroy();
    };
  }, [xml, markers]);

  if (failed) return <p className="form-error">{t("processes.diagramFailed")}</p>;
  return <div className="diagram-view" ref={container} data-ready={ready ? "true" : "false"} />;
}
