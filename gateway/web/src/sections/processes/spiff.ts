// The designer's side panel reads and writes what the processes service reads
// (services/processes/definition_parsing.py and domain.py): a user task's and a signal
// start's `spiffworkflow:properties`, a service task's `spiffworkflow:serviceTaskOperator`
// with its parameters, a timer's `timeDuration` / `timeDate` / `timeCycle`, a sequence
// flow's `conditionExpression`, a signal's or message's name. Each function takes the
// moddle (bpmn-js's model factory) and a business object, so it runs without a canvas.

export const SPIFF_URI = "http://spiffworkflow.org/bpmn/schema/1.0/core";

/** The moddle package that makes bpmn-js read and write the SpiffWorkflow extensions. */
export const spiffModdle = {
  name: "SpiffWorkflow",
  uri: SPIFF_URI,
  prefix: "spiffworkflow",
  xml: { tagAlias: "lowerCase" },
  associations: [],
  types: [
    {
      name: "Properties",
      superClass: ["Element"],
      meta: { allowedIn: ["*"] },
      properties: [{ name: "property", type: "Property", isMany: true }],
    },
    {
      name: "Property",
      properties: [
        { name: "name", type: "String", isAttr: true },
        { name: "value", type: "String", isAttr: true },
      ],
    },
    {
      name: "ServiceTaskOperator",
      superClass: ["Element"],
      meta: { allowedIn: ["bpmn:ServiceTask"] },
      properties: [
        { name: "id", type: "String", isAttr: true },
        { name: "resultVariable", type: "String", isAttr: true },
        { name: "parameters", type: "Parameters" },
      ],
    },
    {
      name: "Parameters",
      properties: [{ name: "parameter", type: "Parameter", isMany: true }],
    },
    {
      name: "Parameter",
      properties: [
        { name: "id", type: "String", isAttr: true },
        { name: "type", type: "String", isAttr: true },
        { name: "value", type: "String", isAttr: true },
      ],
    },
  ],
};

/** A moddle element as far as this file needs it. */
export interface ModdleElement {
  $type: string;
  $parent?: ModdleElement;
  get(name: string): unknown;
  set(name: string, value: unknown): void;
  [key: string]: unknown;
}

export interface Moddle {
  create(type: string, attrs?: Record<string, unknown>): ModdleElement;
}

export const USER_TASK_PROPERTIES = ["assignee", "candidate_role", "due_in_days", "activity_type", "form"] as const;
export const SIGNAL_START_PROPERTIES = ["record_type", "condition"] as const;
export const TIMER_KINDS = ["timeDuration", "timeDate", "timeCycle"] as const;
export type TimerKind = (typeof TIMER_KINDS)[number];

function extensionValues(bo: ModdleElement): ModdleElement[] {
  const ext = bo.get("extensionElements") as ModdleElement | undefined;
  return ext ? ((ext.get("values") as ModdleElement[] | undefined) ?? []) : [];
}

function extensionOf(bo: ModdleElement, type: string): ModdleElement | undefined {
  return extensionValues(bo).find((value) => value.$type === type);
}

/** `extensionElements` with `replacement` instead of the values of `type` (none: removed). */
function withExtension(moddle: Moddle, bo: ModdleElement, type: string, replacement: ModdleElement | null): ModdleElement | undefined {
  const others = extensionValues(bo).filter((value) => value.$type !== type);
  const values = replacement ? [...others, replacement] : others;
  if (!values.length) return undefined;
  const ext = moddle.create("bpmn:ExtensionElements", { values });
  for (const value of values) value.$parent = ext;
  return ext;
}

/** The `spiffworkflow:properties` of an element as name → value. */
export function readProperties(bo: ModdleElement): Record<string, string> {
  const props = extensionOf(bo, "spiffworkflow:Properties");
  const found: Record<string, string> = {};
  for (const p of (props?.get("property") as ModdleElement[] | undefined) ?? []) {
    const name = p.get("name");
    if (typeof name === "string" && name) found[name] = String(p.get("value") ?? "");
  }
  return found;
}

/**
 * The element's new `extensionElements` with `changes` applied to its properties: an
 * empty value removes the property, properties not named keep their values, and the
 * other extensions (a service task's operator, anything foreign) stay.
 */
export function withProperties(moddle: Moddle, bo: ModdleElement, changes: Record<string, string>): ModdleElement | undefined {
  const current = readProperties(bo);
  const merged: Record<string, string> = { ...current, ...changes };
  const entries = Object.entries(merged).filter(([, value]) => value.trim() !== "");
  if (!entries.length) return withExtension(moddle, bo, "spiffworkflow:Properties", null);
  const props = moddle.create("spiffworkflow:Properties");
  const list = entries.map(([name, value]) => {
    const property = moddle.create("spiffworkflow:Property", { name, value });
    property.$parent = props;
    return property;
  });
  props.set("property", list);
  return withExtension(moddle, bo, "spiffworkflow:Properties", props);
}

export interface Operator {
  action: string;
  resultVariable: string;
  params: Record<string, string>;
}

/** A service task's action, its result variable and its parameters' expressions. */
export function readOperator(bo: ModdleElement): Operator {
  const op = extensionOf(bo, "spiffworkflow:ServiceTaskOperator");
  const params: Record<string, string> = {};
  const holder = op?.get("parameters") as ModdleElement | undefined;
  for (const p of (holder?.get("parameter") as ModdleElement[] | undefined) ?? []) {
    const id = p.get("id");
    if (typeof id === "string" && id) params[id] = String(p.get("value") ?? "");
  }
  return {
    action: String(op?.get("id") ?? ""),
    resultVariable: String(op?.get("resultVariable") ?? ""),
    params,
  };
}

/** The new `extensionElements` of a service task running `operator` (empty parameters left out). */
export function withOperator(moddle: Moddle, bo: ModdleElement, operator: Operator): ModdleElement | undefined {
  if (!operator.action) return withExtension(moddle, bo, "spiffworkflow:ServiceTaskOperator", null);
  const attrs: Record<string, unknown> = { id: operator.action };
  if (operator.resultVariable.trim()) attrs.resultVariable = operator.resultVariable.trim();
  const op = moddle.create("spiffworkflow:ServiceTaskOperator", attrs);
  const holder = moddle.create("spiffworkflow:Parameters");
  const list = Object.entries(operator.params)
    .filter(([, value]) => value.trim() !== "")
    .map(([id, value]) => {
      const parameter = moddle.create("spiffworkflow:Parameter", { id, type: "any", value });
      parameter.$parent = holder;
      return parameter;
    });
  holder.set("parameter", list);
  holder.$parent = op;
  op.set("parameters", holder);
  return withExtension(moddle, bo, "spiffworkflow:ServiceTaskOperator", op);
}

/** The first event definition of an event (a start, catch, throw, boundary or end event). */
export function eventDefinition(bo: ModdleElement): ModdleElement | undefined {
  const defs = bo.get("eventDefinitions") as ModdleElement[] | undefined;
  return defs?.[0];
}

export interface Timer {
  kind: TimerKind;
  expression: string;
}

/** A timer definition's kind and expression (a duration when none is set yet). */
export function readTimer(definition: ModdleElement): Timer {
  for (const kind of TIMER_KINDS) {
    const expr = definition.get(kind) as ModdleElement | undefined;
    if (expr) return { kind, expression: String(expr.get("body") ?? "") };
  }
  return { kind: "timeDuration", expression: "" };
}

/** The properties to set on a timer definition: the one kind with its expression, the others cleared. */
export function timerChanges(moddle: Moddle, timer: Timer): Record<string, unknown> {
  const changes: Record<string, unknown> = {};
  for (const kind of TIMER_KINDS) changes[kind] = undefined;
  if (timer.expression.trim()) {
    changes[timer.kind] = moddle.create("bpmn:FormalExpression", { body: timer.expression.trim() });
  }
  return changes;
}

/** A sequence flow's condition expression (empty when it has none). */
export function readCondition(flow: ModdleElement): string {
  const expr = flow.get("conditionExpression") as ModdleElement | undefined;
  return expr ? String(expr.get("body") ?? "") : "";
}

/** The `conditionExpression` to set on a flow (undefined removes it). */
export function conditionExpression(moddle: Moddle, text: string): ModdleElement | undefined {
  return text.trim() ? moddle.create("bpmn:FormalExpression", { body: text.trim() }) : undefined;
}

/** The name of the signal or message an event definition refers to. */
export function readRefName(definition: ModdleElement): string {
  const ref = (definition.get("signalRef") ?? definition.get("messageRef")) as ModdleElement | undefined;
  return ref ? String(ref.get("name") ?? "") : "";
}

/** The ids an element may take: letters, digits and `_`, starting with a letter. */
export function safeId(prefix: string, name: string): string {
  const tail = name.replace(/[^A-Za-z0-9_]+/g, "_").replace(/^_+|_+$/g, "");
  return `${prefix}_${tail || "unnamed"}`;
}

/**
 * The signal (or message) named `name` among the definitions' root elements, made and
 * added when missing, so that every event of one name shares one `bpmn:Signal`.
 */
export function rootRef(
  moddle: Moddle,
  definitions: ModdleElement,
  type: "bpmn:Signal" | "bpmn:Message",
  name: string,
): ModdleElement {
  const roots = (definitions.get("rootElements") as ModdleElement[] | undefined) ?? [];
  const found = roots.find((root) => root.$type === type && root.get("name") === name);
  if (found) return found;
  const prefix = type === "bpmn:Signal" ? "Signal" : "Message";
  const taken = new Set(roots.map((root) => root.get("id")));
  let id = safeId(prefix, name);
  for (let n = 2; taken.has(id); n += 1) id = `${safeId(prefix, name)}_${n}`;
  const made = moddle.create(type, { id, name });
  made.$parent = definitions;
  roots.push(made);
  definitions.set("rootElements", roots);
  return made;
}

/** What the side panel shows for an element: which group of fields it gets. */
export type PanelKind = "userTask" | "serviceTask" | "scriptTask" | "flow" | "signalStart" | "event" | "other";

export function panelKind(bo: ModdleElement): PanelKind {
  switch (bo.$type) {
    case "bpmn:UserTask":
      return "userTask";
    case "bpmn:ServiceTask":
      return "serviceTask";
    case "bpmn:ScriptTask":
      return "scriptTask";
    case "bpmn:SequenceFlow":
      return "flow";
  }
  const definition = bo.get("eventDefinitions") ? eventDefinition(bo) : undefined;
  if (bo.$type === "bpmn:StartEvent" && definition?.$type === "bpmn:SignalEventDefinition") return "signalStart";
  if (definition) return "event";
  return "other";
}

/** `"qualified:boolean, reason:string"` → fields; a field with no type is a string. */
export function parseForm(text: string): { name: string; type: string }[] {
  return text
    .split(",")
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const [name, type] = part.split(":").map((s) => s.trim());
      return { name, type: type || "string" };
    });
}

export function formatForm(fields: { name: string; type: string }[]): string {
  return fields
    .filter((f) => f.name.trim())
    .map((f) => `${f.name.trim()}:${f.type}`)
    .join(", ");
}

/** A new diagram: one process with a none start event, ready to draw on. */
export function newDiagramXml(key: string, name: string, startName = "Start"): string {
  const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");
  return `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" xmlns:di="http://www.omg.org/spec/DD/20100524/DI" xmlns:spiffworkflow="${SPIFF_URI}" id="Definitions_${esc(key)}" targetNamespace="https://osprey.dev/bpmn">
  <bpmn:process id="${esc(key)}" name="${esc(name)}" isExecutable="true">
    <bpmn:startEvent id="StartEvent_1" name="${esc(startName)}" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="BPMNDiagram_1">
    <bpmndi:BPMNPlane id="BPMNPlane_1" bpmnElement="${esc(key)}">
      <bpmndi:BPMNShape id="StartEvent_1_di" bpmnElement="StartEvent_1">
        <dc:Bounds x="180" y="160" width="36" height="36" />
      </bpmndi:BPMNShape>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
`;
}

const CYRILLIC: Record<string, string> = {
  а: "a", б: "b", в: "v", г: "g", д: "d", е: "e", ё: "e", ж: "zh", з: "z", и: "i", й: "y",
  к: "k", л: "l", м: "m", н: "n", о: "o", п: "p", р: "r", с: "s", т: "t", у: "u", ф: "f",
  х: "kh", ц: "ts", ч: "ch", ш: "sh", щ: "shch", ъ: "", ы: "y", ь: "", э: "e", ю: "yu", я: "ya",
};

/** A process id from a name: `Follow up a deal` → `follow_up_a_deal`, `Сделка` → `sdelka`. */
export function keyFromName(name: string): string {
  const key = [...name.toLowerCase()]
    .map((ch) => CYRILLIC[ch] ?? ch)
    .join("")
    .normalize("NFKD")
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "");
  return /^[a-z]/.test(key) ? key.slice(0, 60) : `process_${key}`.slice(0, 60).replace(/_+$/, "");
}
