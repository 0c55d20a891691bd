// The designer: a bpmn-js Modeler limited to what the engine runs (palette.ts), the
// selected element's properties beside it (Panel.tsx), and Validate, Save and Deploy.
// This module is loaded on demand (React.lazy), and bpmn-js with it.
import Modeler from "bpmn-js/lib/Modeler";
import { useEffect, useMemo, useRef, useState } from "react";
import { ApiError, get, ifMatch, request, versionOfEtag } from "../../core/api";
import { Link, navigate, useSearchParams } from "../../core/router";
import { useT } from "../../i18n";
import { Problem as ProblemBanner, useProblemText } from "../admin/common";
import { fetchXml, sendXml, type Catalogue, type Definition, type Problem, type Validation } from "./api";
import "./bpmn-styles";
import { russianModule } from "./bpmnRu";
import { limitedPaletteModule } from "./palette";
import { NEW_KEY, Panel, type DiagramElement, type ModelerApi } from "./Panel";
import { newDiagramXml, spiffModdle, type Moddle, type ModdleElement } from "./spiff";

interface Saved {
  definition: Definition;
  rowVersion: number;
}

export default function Designer({ definitionId }: { definitionId?: string }) {
  const t = useT();
  const problemText = useProblemText();
  const [params] = useSearchParams();
  const wantedVersion = Number(params.get("version")) || undefined;
  const canvasRef = useRef<HTMLDivElement>(null);
  const modelerRef = useRef<Modeler | null>(null);
  const [ready, setReady] = useState(false);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [selected, setSelected] = useState<DiagramElement | null>(null);
  const [root, setRoot] = useState<DiagramElement | null>(null);
  const [, setTick] = useState(0);
  const [dirty, setDirty] = useState(false);
  const [catalogue, setCatalogue] = useState<Catalogue | null>(null);
  const [saved, setSaved] = useState<Saved | null>(null);
  const [problems, setProblems] = useState<Problem[] | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const isNew = !definitionId;

  useEffect(() => {
    get<Catalogue>("/process-actions").then(setCatalogue, () => setCatalogue({ actions: [], start_events: [], record_types: [] }));
  }, []);

  useEffect(() => {
    if (!canvasRef.current) return;
    const modeler = new Modeler({
      container: canvasRef.current,
      moddleExtensions: { spiffworkflow: spiffModdle },
      additionalModules: t.locale === "ru" ? [limitedPaletteModule, russianModule] : [limitedPaletteModule],
    });
    modelerRef.current = modeler;
    let gone = false;
    modeler.on("selection.changed", (event: { newSelection: DiagramElement[] }) => {
      setSelected(event.newSelection.length === 1 ? event.newSelection[0] : null);
    });
    modeler.on("elements.changed", () => setTick((n) => n + 1));
    modeler.on("commandStack.changed", () => setDirty(true));

    (async () => {
      let xml: string;
      if (definitionId) {
        const response = await request<Definition>(`/process-definitions/${encodeURIComponent(definitionId)}`);
        if (gone) return;
        setSaved({ definition: response.data, rowVersion: versionOfEtag(response.etag) ?? response.data.row_version });
        xml = await fetchXml(definitionId, wantedVersion);
      } else {
        xml = newDiagramXml(NEW_KEY, t("processes.newName"), t("processes.startName"));
      }
      if (gone) return;
      await modeler.importXML(xml);
      const canvas = modeler.get<{ zoom(level: string): void; getRootElement(): DiagramElement }>("canvas");
      canvas.zoom("fit-viewport");
      if (isNew) canvas.zoom("1");
      setRoot(canvas.getRootElement());
      setDirty(false);
      setReady(true);
    })().catch((caught) => !gone && setLoadError(problemText(caught)));
    return () => {
      gone = true;
      modeler.destroy();
      modelerRef.current = null;
    };
  }, [definitionId, wantedVersion]); // eslint-disable-line react-hooks/exhaustive-deps

  // Leaving the page with unsaved changes asks first.
  useEffect(() => {
    if (!dirty) return;
    const warn = (event: BeforeUnloadEvent) => event.preventDefault();
    window.addEventListener("beforeunload", warn);
    return () => window.removeEventListener("beforeunload", warn);
  }, [dirty]);

  const api: ModelerApi | null = useMemo(() => {
    const modeler = modelerRef.current;
    if (!ready || !modeler) return null;
    const replaceService = modeler.get<{ replaceElement(e: DiagramElement, target: { type: string }): DiagramElement }>("bpmnReplace");
    const selection = modeler.get<{ select(e: DiagramElement): void }>("selection");
    return {
      modeling: modeler.get("modeling"),
      moddle: modeler.get<Moddle>("moddle"),
      definitions: () => modeler.getDefinitions() as unknown as ModdleElement,
      replace: (element, type) => {
        const made = replaceService.replaceElement(element, { type });
        selection.select(made);
        return made;
      },
    };
  }, [ready]);

  const xmlNow = async (): Promise<string> => {
    const { xml } = await modelerRef.current!.saveXML({ format: true });
    return xml ?? "";
  };

  const showElement = (elementId: string | null | undefined) => {
    const modeler = modelerRef.current;
    if (!modeler || !elementId) return;
    const registry = modeler.get<{ get(id: string): DiagramElement | undefined }>("elementRegistry");
    const element = registry.get(elementId);
    if (!element) return;
    modeler.get<{ select(e: DiagramElement): void }>("selection").select(element);
    modeler.get<{ scrollToElement(e: DiagramElement): void }>("canvas").scrollToElement(element);
  };

  const validate = async (): Promise<boolean> => {
    setError(null);
    setStatus(null);
    const { data } = await sendXml<Validation>("/process-definitions/validate", await xmlNow());
    setProblems(data.errors);
    if (!data.valid) showElement(data.errors.find((p) => p.element_id)?.element_id);
    return data.valid;
  };

  const run = async (step: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await step();
    } catch (caught) {
      if (caught instanceof ApiError && caught.status === 422 && caught.errors.some((e) => "element_id" in e || "line" in e)) {
        setProblems(caught.errors as Problem[]);
        showElement((caught.errors as Problem[]).find((p) => p.element_id)?.element_id);
      } else {
        setError(problemText(caught));
      }
    } finally {
      setBusy(false);
    }
  };

  const save = () =>
    run(async () => {
      const xml = await xmlNow();
      if (!saved) {
        const { data, etag } = await sendXml<Definition>("/process-definitions", xml);
        setSaved({ definition: data, rowVersion: versionOfEtag(etag) ?? data.row_version });
        setDirty(false);
        setProblems([]);
        navigate(`/processes/definitions/${data.id}/design`, { replace: true });
        return;
      }
      const { data, etag } = await sendXml<Definition>(
        `/process-definitions/${encodeURIComponent(saved.definition.id)}/versions`,
        xml,
        ifMatch(saved.rowVersion),
      );
      setSaved({ definition: data, rowVersion: versionOfEtag(etag) ?? data.row_version });
      setDirty(false);
      setProblems([]);
      setStatus(t("processes.savedAs", { n: data.latest_version }));
    });

  const deploy = () =>
    run(async () => {
      if (!saved) return;
      const response = await request<Definition>(`/process-definitions/${encodeURIComponent(saved.definition.id)}/deploy`, {
        method: "POST",
        body: { version: saved.definition.latest_version },
        headers: ifMatch(saved.rowVersion),
      });
      setSaved({ definition: response.data, rowVersion: versionOfEtag(response.etag) ?? response.data.row_version });
      setStatus(t("processes.deployedAs", { n: response.data.deployed_version ?? saved.definition.latest_version }));
    });

  const latest = saved?.definition.latest_version;
  const canDeploy = !!saved && !dirty && saved.definition.deployed_version !== latest;
  const elementName = (id: string | null | undefined) => {
    const registry = modelerRef.current?.get<{ get(id: string): DiagramElement | undefined }>("elementRegistry");
    const element = id ? registry?.get(id) : undefined;
    return element ? String(element.businessObject.get("name") ?? "") : "";
  };

  return (
    <section className="card designer" aria-label={t("processes.designer")}>
      <div className="page-head">
        <Link to={saved ? `/processes/definitions/${saved.definition.id}` : "/processes"} className="back-link">
          {saved ? saved.definition.name : t("processes.library")}
        </Link>
        <span className="grow muted small">
          {saved
            ? t("processes.editing", { n: wantedVersion ?? saved.definition.latest_version })
            : t("processes.newDiagram")}
          {dirty && ` · ${t("processes.unsaved")}`}
        </span>
        <button type="button" className="button" disabled={!ready || busy} onClick={() => void run(async () => void (await validate()))}>
          {t("processes.validate")}
        </button>
        <button type="button" className="button primary" disabled={!ready || busy || (!dirty && !!saved)} onClick={() => void save()}>
          {t("processes.save")}
        </button>
        <button type="button" className="button" disabled={!ready || busy || !canDeploy} onClick={() => void deploy()}>
          {t("processes.deploy")}
        </button>
      </div>
      {loadError && <ProblemBanner text={loadError} />}
      <ProblemBanner text={error} />
      {status && (
        <p className="banner" role="status">
          {status}
        </p>
      )}
      {problems && problems.length === 0 && !status && (
        <p className="banner" role="status">
          {t("processes.valid")}
        </p>
      )}
      {problems && problems.length > 0 && (
        <div className="banner danger process-problems" role="alert">
          <strong>{t("processes.problems")}</strong>
          <ul>
            {problems.map((p, index) => (
              <li key={index}>
                <button type="button" className="link-button" onClick={() => showElement(p.element_id)} disabled={!p.element_id}>
                  {p.message}
                </button>
                <span className="muted small">
                  {p.element_id && ` ${p.element ?? ""} ${elementName(p.element_id) || p.element_id}`}
                  {p.line ? ` · ${t("processes.line", { n: p.line })}` : ""}
                </span>
              </li>
            ))}
          </ul>
        </div>
      )}
      <div className="designer-body">
        <div className="designer-canvas" ref={canvasRef} data-ready={ready ? "true" : "false"} />
        <aside className="designer-panel">
          {api && <Panel element={selected} root={root} api={api} catalogue={catalogue} isNew={!saved} />}
        </aside>
      </div>
    </section>
  );
}
