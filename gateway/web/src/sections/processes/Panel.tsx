// The designer's side panel: the selected element's properties, written into the
// diagram the way the processes service reads them (spiff.ts does the mapping). Every
// change goes through bpmn-js's modeling, so it can be undone like a drawn one.
import { useId } from "react";
import { useT } from "../../i18n";
import type { Catalogue } from "./api";
import {
  TIMER_KINDS,
  conditionExpression,
  eventDefinition,
  formatForm,
  keyFromName,
  panelKind,
  parseForm,
  readCondition,
  readOperator,
  readProperties,
  readRefName,
  readTimer,
  rootRef,
  timerChanges,
  withOperator,
  withProperties,
  type Moddle,
  type ModdleElement,
  type TimerKind,
} from "./spiff";

/** A diagram shape or connection as bpmn-js hands it over. */
export interface DiagramElement {
  id: string;
  type: string;
  businessObject: ModdleElement;
  source?: DiagramElement;
}

/** The bpmn-js services the panel uses. */
export interface ModelerApi {
  modeling: {
    updateProperties(element: DiagramElement, props: Record<string, unknown>): void;
    updateModdleProperties(element: DiagramElement, target: ModdleElement, props: Record<string, unknown>): void;
  };
  moddle: Moddle;
  definitions: () => ModdleElement;
  replace: (element: DiagramElement, type: string) => DiagramElement;
}

const TASK_TYPES = ["bpmn:Task", "bpmn:UserTask", "bpmn:ServiceTask", "bpmn:ScriptTask"];
const ACTIVITY_TYPES = ["task", "call", "meeting", "email"];
export const NEW_KEY = "new_process";
const VALID_ID = /^[A-Za-z_][A-Za-z0-9_-]*$/;
const FORM_TYPES = ["string", "text", "boolean", "number", "date"];

function Field({ label, children, hint }: { label: string; children: (id: string) => React.ReactNode; hint?: string }) {
  const id = useId();
  return (
    <div className="field">
      <label className="field-label" htmlFor={id}>
        {label}
      </label>
      {children(id)}
      {hint && <span className="hint small">{hint}</span>}
    </div>
  );
}

interface Props {
  element: DiagramElement | null;
  root: DiagramElement | null;
  api: ModelerApi;
  catalogue: Catalogue | null;
  isNew: boolean;
}

export function Panel({ element, root, api, catalogue, isNew }: Props) {
  const t = useT();
  const target = element ?? root;
  if (!target) return null;
  const bo = target.businessObject;
  const update = (props: Record<string, unknown>) => api.modeling.updateProperties(target, props);
  const name = String(bo.get("name") ?? "");

  if (!element) {
    // The process itself: its name and, while it is new, its id.
    return (
      <div className="process-panel" aria-label={t("processes.panel")}>
        <h3>{t("processes.theProcess")}</h3>
        <Field label={t("processes.name")}>
          {(id) => (
            <input
              id={id}
              value={name}
              onChange={(e) => {
                // While new, the id follows the name until someone edits it.
                const follows = isNew && (bo.get("id") === NEW_KEY || bo.get("id") === keyFromName(name || NEW_KEY));
                update(follows ? { name: e.target.value, id: keyFromName(e.target.value || NEW_KEY) } : { name: e.target.value });
              }}
            />
          )}
        </Field>
        <Field label={t("processes.key")} hint={isNew ? t("processes.keyHint") : t("processes.keyFixed")}>
          {(id) => (
            <input id={id} value={String(bo.get("id") ?? "")} disabled={!isNew} onChange={(e) => VALID_ID.test(e.target.value) && update({ id: e.target.value })} />
          )}
        </Field>
      </div>
    );
  }

  const kind = panelKind(bo);
  const typeName = bo.$type.replace("bpmn:", "");
  const props = readProperties(bo);
  const setProps = (changes: Record<string, string>) =>
    update({ extensionElements: withProperties(api.moddle, bo, changes) });

  return (
    <div className="process-panel" aria-label={t("processes.panel")} data-element={element.id}>
      <h3>{t.has(`processes.type.${typeName}`) ? t(`processes.type.${typeName}`) : typeName}</h3>
      <p className="muted small">
        <code>{element.id}</code>
      </p>
      <Field label={t("processes.name")}>
        {(id) => <input id={id} value={name} onChange={(e) => update({ name: e.target.value })} />}
      </Field>
      {TASK_TYPES.includes(bo.$type) && (
        <Field label={t("processes.taskKind")}>
          {(id) => (
            <select id={id} value={bo.$type} onChange={(e) => api.replace(element, e.target.value)}>
              {TASK_TYPES.map((type) => (
                <option key={type} value={type}>
                  {t(`processes.type.${type.replace("bpmn:", "")}`)}
                </option>
              ))}
            </select>
          )}
        </Field>
      )}
      {kind === "userTask" && <UserTaskFields props={props} setProps={setProps} />}
      {kind === "serviceTask" && <ServiceTaskFields bo={bo} api={api} update={update} catalogue={catalogue} />}
      {kind === "scriptTask" && (
        <Field label={t("processes.script")} hint={t("processes.scriptHint")}>
          {(id) => (
            <textarea id={id} rows={8} className="code" value={String(bo.get("script") ?? "")} onChange={(e) => update({ script: e.target.value })} />
          )}
        </Field>
      )}
      {kind === "signalStart" && (
        <SignalStartFields bo={bo} element={element} api={api} props={props} setProps={setProps} catalogue={catalogue} />
      )}
      {kind === "event" && <EventFields bo={bo} element={element} api={api} catalogue={catalogue} />}
      {kind === "flow" && <FlowFields element={element} api={api} />}
      {bo.$type === "bpmn:CallActivity" && (
        <Field label={t("processes.calledElement")} hint={t("processes.calledElementHint")}>
          {(id) => <input id={id} value={String(bo.get("calledElement") ?? "")} onChange={(e) => update({ calledElement: e.target.value || undefined })} />}
        </Field>
      )}
    </div>
  );
}

function UserTaskFields({ props, setProps }: { props: Record<string, string>; setProps: (c: Record<string, string>) => void }) {
  const t = useT();
  const fields = parseForm(props.form ?? "");
  const setFields = (next: { name: string; type: string }[]) => setProps({ form: formatForm(next) });
  return (
    <>
      <Field label={t("processes.assignee")} hint={t("processes.assigneeHint")}>
        {(id) => <input id={id} className="code" value={props.assignee ?? ""} onChange={(e) => setProps({ assignee: e.target.value })} />}
      </Field>
      <Field label={t("processes.role")} hint={t("processes.roleHint")}>
        {(id) => <input id={id} value={props.candidate_role ?? ""} onChange={(e) => setProps({ candidate_role: e.target.value })} />}
      </Field>
      <Field label={t("processes.dueInDays")}>
        {(id) => <input id={id} className="code" value={props.due_in_days ?? ""} onChange={(e) => setProps({ due_in_days: e.target.value })} />}
      </Field>
      <Field label={t("processes.activityType")}>
        {(id) => (
          <select id={id} value={props.activity_type || "task"} onChange={(e) => setProps({ activity_type: e.target.value === "task" ? "" : e.target.value })}>
            {ACTIVITY_TYPES.map((type) => (
              <option key={type} value={type}>
                {t(`processes.activity.${type}`)}
              </option>
            ))}
          </select>
        )}
      </Field>
      <fieldset className="process-form-fields">
        <legend className="field-label">{t("processes.formFields")}</legend>
        {fields.map((field, index) => (
          <div key={index} className="process-form-row">
            <input
              aria-label={t("processes.fieldName")}
              value={field.name}
              onChange={(e) => setFields(fields.map((f, i) => (i === index ? { ...f, name: e.target.value } : f)))}
            />
            <select
              aria-label={t("processes.fieldType")}
              value={field.type}
              onChange={(e) => setFields(fields.map((f, i) => (i === index ? { ...f, type: e.target.value } : f)))}
            >
              {FORM_TYPES.map((type) => (
                <option key={type} value={type}>
                  {type}
                </option>
              ))}
            </select>
            <button type="button" className="button small" onClick={() => setFields(fields.filter((_, i) => i !== index))}>
              {t("processes.remove")}
            </button>
          </div>
        ))}
        <button type="button" className="button small" onClick={() => setFields([...fields, { name: `field_${fields.length + 1}`, type: "string" }])}>
          {t("processes.addField")}
        </button>
      </fieldset>
    </>
  );
}

function ServiceTaskFields({
  bo,
  api,
  update,
  catalogue,
}: {
  bo: ModdleElement;
  api: ModelerApi;
  update: (p: Record<string, unknown>) => void;
  catalogue: Catalogue | null;
}) {
  const t = useT();
  const operator = readOperator(bo);
  const action = catalogue?.actions.find((a) => a.name === operator.action);
  const write = (next: typeof operator) => update({ extensionElements: withOperator(api.moddle, bo, next) });
  return (
    <>
      <Field label={t("processes.action")}>
        {(id) => (
          <select id={id} value={operator.action} onChange={(e) => write({ ...operator, action: e.target.value, params: {} })}>
            <option value="">{t("processes.chooseAction")}</option>
            {catalogue?.actions.map((a) => (
              <option key={a.name} value={a.name} disabled={!a.available}>
                {(t.locale === "ru" && a.title_ru) || a.title}
              </option>
            ))}
            {operator.action && !action && <option value={operator.action}>{operator.action}</option>}
          </select>
        )}
      </Field>
      {action?.description && <p className="muted small">{action.description}</p>}
      {action?.params.map((param) => (
        <Field key={param.name} label={`${param.name}${param.required ? " *" : ""}`} hint={param.description || undefined}>
          {(id) => (
            <input
              id={id}
              className="code"
              value={operator.params[param.name] ?? ""}
              onChange={(e) => write({ ...operator, params: { ...operator.params, [param.name]: e.target.value } })}
            />
          )}
        </Field>
      ))}
      {operator.action && (
        <Field label={t("processes.resultVariable")}>
          {(id) => <input id={id} value={operator.resultVariable} onChange={(e) => write({ ...operator, resultVariable: e.target.value })} />}
        </Field>
      )}
      <p className="hint small">{t("processes.expressionHint")}</p>
    </>
  );
}

function RefName({ element, api, type, catalogue }: { element: DiagramElement; api: ModelerApi; type: "bpmn:Signal" | "bpmn:Message"; catalogue: Catalogue | null }) {
  const t = useT();
  const definition = eventDefinition(element.businessObject)!;
  const listId = useId();
  const set = (name: string) => {
    const ref = name.trim() ? rootRef(api.moddle, api.definitions(), type, name.trim()) : undefined;
    api.modeling.updateModdleProperties(element, definition, type === "bpmn:Signal" ? { signalRef: ref } : { messageRef: ref });
  };
  return (
    <Field label={type === "bpmn:Signal" ? t("processes.signal") : t("processes.message")} hint={type === "bpmn:Signal" ? t("processes.signalHint") : undefined}>
      {(id) => (
        <>
          <input id={id} list={type === "bpmn:Signal" ? listId : undefined} defaultValue={readRefName(definition)} onBlur={(e) => set(e.target.value)} />
          {type === "bpmn:Signal" && (
            <datalist id={listId}>
              {catalogue?.start_events.map((name) => <option key={name} value={name} />)}
            </datalist>
          )}
        </>
      )}
    </Field>
  );
}

function SignalStartFields({
  bo,
  element,
  api,
  props,
  setProps,
  catalogue,
}: {
  bo: ModdleElement;
  element: DiagramElement;
  api: ModelerApi;
  props: Record<string, string>;
  setProps: (c: Record<string, string>) => void;
  catalogue: Catalogue | null;
}) {
  const t = useT();
  const definition = eventDefinition(bo)!;
  const current = readRefName(definition);
  const setEvent = (name: string) => {
    const ref = name ? rootRef(api.moddle, api.definitions(), "bpmn:Signal", name) : undefined;
    api.modeling.updateModdleProperties(element, definition, { signalRef: ref });
  };
  return (
    <>
      <Field label={t("processes.recordEvent")}>
        {(id) => (
          <select id={id} value={current} onChange={(e) => setEvent(e.target.value)}>
            <option value="">{t("processes.chooseEvent")}</option>
            {catalogue?.start_events.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
            {current && !catalogue?.start_events.includes(current) && <option value={current}>{current}</option>}
          </select>
        )}
      </Field>
      <Field label={t("processes.recordType")}>
        {(id) => (
          <select id={id} value={props.record_type ?? ""} onChange={(e) => setProps({ record_type: e.target.value })}>
            <option value="">{t("processes.anyRecord")}</option>
            {catalogue?.record_types.map((type) => (
              <option key={type} value={type}>
                {type}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field label={t("processes.condition")} hint={t("processes.startConditionHint")}>
        {(id) => <input id={id} className="code" value={props.condition ?? ""} onChange={(e) => setProps({ condition: e.target.value })} />}
      </Field>
    </>
  );
}

function EventFields({ bo, element, api, catalogue }: { bo: ModdleElement; element: DiagramElement; api: ModelerApi; catalogue: Catalogue | null }) {
  const t = useT();
  const definition = eventDefinition(bo)!;
  const boundary = bo.$type === "bpmn:BoundaryEvent";
  return (
    <>
      {definition.$type === "bpmn:TimerEventDefinition" && <TimerFields element={element} definition={definition} api={api} />}
      {definition.$type === "bpmn:SignalEventDefinition" && (
        <RefName key={element.id} element={element} api={api} type="bpmn:Signal" catalogue={catalogue} />
      )}
      {definition.$type === "bpmn:MessageEventDefinition" && (
        <RefName key={element.id} element={element} api={api} type="bpmn:Message" catalogue={catalogue} />
      )}
      {boundary && (
        <label className="check">
          <input
            type="checkbox"
            checked={bo.get("cancelActivity") !== false}
            onChange={(e) => api.modeling.updateProperties(element, { cancelActivity: e.target.checked })}
          />
          {t("processes.interrupting")}
        </label>
      )}
    </>
  );
}

function TimerFields({ element, definition, api }: { element: DiagramElement; definition: ModdleElement; api: ModelerApi }) {
  const t = useT();
  const timer = readTimer(definition);
  const set = (kind: TimerKind, expression: string) =>
    api.modeling.updateModdleProperties(element, definition, timerChanges(api.moddle, { kind, expression }));
  return (
    <>
      <Field label={t("processes.timerKind")}>
        {(id) => (
          <select id={id} value={timer.kind} onChange={(e) => set(e.target.value as TimerKind, timer.expression)}>
            {TIMER_KINDS.map((kind) => (
              <option key={kind} value={kind}>
                {t(`processes.timer.${kind}`)}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field label={t("processes.timerValue")} hint={t("processes.timerHint")}>
        {(id) => <input id={id} className="code" value={timer.expression} onChange={(e) => set(timer.kind, e.target.value)} />}
      </Field>
    </>
  );
}

function FlowFields({ element, api }: { element: DiagramElement; api: ModelerApi }) {
  const t = useT();
  const bo = element.businessObject;
  const source = element.source?.businessObject;
  const isDefault = !!source && source.get("default") === bo;
  return (
    <>
      <Field label={t("processes.condition")} hint={t("processes.flowConditionHint")}>
        {(id) => (
          <input
            id={id}
            className="code"
            value={readCondition(bo)}
            disabled={isDefault}
            onChange={(e) => api.modeling.updateProperties(element, { conditionExpression: conditionExpression(api.moddle, e.target.value) })}
          />
        )}
      </Field>
      {isDefault && <p className="muted small">{t("processes.defaultFlow")}</p>}
    </>
  );
}
