import { BpmnModdle } from "bpmn-moddle";
import { describe, expect, it } from "vitest";
import { BPMN_RU, translateRu } from "./bpmnRu";
import { filterContextPad, filterPalette, filterReplace, PALETTE_KEEP } from "./palette";
import {
  conditionExpression,
  eventDefinition,
  formatForm,
  keyFromName,
  newDiagramXml,
  panelKind,
  parseForm,
  readCondition,
  readOperator,
  readProperties,
  readRefName,
  readTimer,
  rootRef,
  spiffModdle,
  timerChanges,
  withOperator,
  withProperties,
  type Moddle,
  type ModdleElement,
} from "./spiff";

// The shipped lead process's way of writing things (services/processes/diagrams).
const SHIPPED = `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="D" targetNamespace="https://osprey.dev/bpmn">
  <bpmn:process id="p" isExecutable="true">
    <bpmn:startEvent id="S">
      <bpmn:extensionElements>
        <spiffworkflow:properties>
          <spiffworkflow:property name="record_type" value="lead" />
          <spiffworkflow:property name="condition" value="record.get('stage') == 'qualification'" />
        </spiffworkflow:properties>
      </bpmn:extensionElements>
      <bpmn:signalEventDefinition id="SD" signalRef="Signal_lead_created" />
    </bpmn:startEvent>
    <bpmn:userTask id="U" name="Qualify">
      <bpmn:extensionElements>
        <spiffworkflow:properties>
          <spiffworkflow:property name="assignee" value="record.get('owner_id')" />
          <spiffworkflow:property name="due_in_days" value="1" />
        </spiffworkflow:properties>
      </bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:boundaryEvent id="B" attachedToRef="U" cancelActivity="false">
      <bpmn:timerEventDefinition id="TD"><bpmn:timeDuration>'P2D'</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:serviceTask id="T">
      <bpmn:extensionElements>
        <spiffworkflow:serviceTaskOperator id="disqualify_lead" resultVariable="lead">
          <spiffworkflow:parameters>
            <spiffworkflow:parameter id="lead_id" type="any" value="record['id']" />
            <spiffworkflow:parameter id="reason" type="any" value="reason" />
          </spiffworkflow:parameters>
        </spiffworkflow:serviceTaskOperator>
      </bpmn:extensionElements>
    </bpmn:serviceTask>
    <bpmn:sequenceFlow id="F" sourceRef="U" targetRef="T">
      <bpmn:conditionExpression>not qualified</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
  </bpmn:process>
  <bpmn:signal id="Signal_lead_created" name="lead_created" />
</bpmn:definitions>`;

async function load(xml: string) {
  const moddle = new BpmnModdle({ spiffworkflow: spiffModdle });
  const { rootElement } = await moddle.fromXML(xml);
  const definitions = rootElement as unknown as ModdleElement;
  const process = (definitions.get("rootElements") as ModdleElement[])[0];
  const byId = (id: string) => (process.get("flowElements") as ModdleElement[]).find((e) => e.id === id)!;
  const toXml = async () => (await moddle.toXML(rootElement, { format: true })).xml;
  return { moddle: moddle as unknown as Moddle, definitions, byId, toXml };
}

describe("reading the shipped diagrams' extensions", () => {
  it("reads properties, the operator, the timer, the condition and the signal name", async () => {
    const { byId } = await load(SHIPPED);
    expect(readProperties(byId("S"))).toEqual({
      record_type: "lead",
      condition: "record.get('stage') == 'qualification'",
    });
    expect(readProperties(byId("U"))).toEqual({ assignee: "record.get('owner_id')", due_in_days: "1" });
    expect(readOperator(byId("T"))).toEqual({
      action: "disqualify_lead",
      resultVariable: "lead",
      params: { lead_id: "record['id']", reason: "reason" },
    });
    expect(readTimer(eventDefinition(byId("B"))!)).toEqual({ kind: "timeDuration", expression: "'P2D'" });
    expect(readCondition(byId("F"))).toBe("not qualified");
    expect(readRefName(eventDefinition(byId("S"))!)).toBe("lead_created");
    expect(panelKind(byId("S"))).toBe("signalStart");
    expect(panelKind(byId("B"))).toBe("event");
    expect(panelKind(byId("U"))).toBe("userTask");
    expect(panelKind(byId("F"))).toBe("flow");
  });
});

describe("writing them back as the service reads them", () => {
  it("changes one property, drops an emptied one and keeps the rest", async () => {
    const { moddle, byId, toXml } = await load(SHIPPED);
    const task = byId("U");
    task.set("extensionElements", withProperties(moddle, task, { due_in_days: "", candidate_role: "sales_manager", form: "qualified:boolean" }));
    expect(readProperties(task)).toEqual({
      assignee: "record.get('owner_id')",
      candidate_role: "sales_manager",
      form: "qualified:boolean",
    });
    const xml = await toXml();
    expect(xml).toContain('<spiffworkflow:property name="candidate_role" value="sales_manager" />');
    expect(xml).not.toContain('name="due_in_days"');
  });

  it("writes a service task's operator with its parameters and leaves out empty ones", async () => {
    const { moddle, byId, toXml } = await load(SHIPPED);
    const task = byId("T");
    task.set(
      "extensionElements",
      withOperator(moddle, task, { action: "post_to_feed", resultVariable: "", params: { text: "'Hi'", related_type: "'lead'", channel_id: " " } }),
    );
    const xml = await toXml();
    expect(xml).toMatch(/<spiffworkflow:serviceTaskOperator id="post_to_feed">\s*<spiffworkflow:parameters>\s*<spiffworkflow:parameter id="text" type="any" value="&#39;Hi&#39;" \/>/); // quotes escaped: the same XML
    expect(xml).not.toContain("channel_id");
    expect(xml).not.toContain("disqualify_lead");
    // and it reads back the same after a round trip
    const again = await load(xml);
    expect(readOperator(again.byId("T"))).toEqual({ action: "post_to_feed", resultVariable: "", params: { text: "'Hi'", related_type: "'lead'" } });
  });

  it("keeps properties when the operator changes and the reverse", async () => {
    const { moddle, byId } = await load(SHIPPED);
    const task = byId("T");
    task.set("extensionElements", withProperties(moddle, task, { note: "x" }));
    expect(readOperator(task).action).toBe("disqualify_lead");
    task.set("extensionElements", withOperator(moddle, task, { action: "", resultVariable: "", params: {} }));
    expect(readProperties(task)).toEqual({ note: "x" });
    task.set("extensionElements", withProperties(moddle, task, { note: "" }));
    expect(task.get("extensionElements")).toBeUndefined();
  });

  it("sets a timer of one kind, clearing the others", async () => {
    const { moddle, byId, toXml } = await load(SHIPPED);
    const definition = eventDefinition(byId("B"))!;
    for (const [key, value] of Object.entries(timerChanges(moddle, { kind: "timeCycle", expression: "'R3/PT1H'" }))) definition.set(key, value);
    expect(readTimer(definition)).toEqual({ kind: "timeCycle", expression: "'R3/PT1H'" });
    const xml = await toXml();
    expect(xml).toContain("<bpmn:timeCycle xsi:type=\"bpmn:tFormalExpression\">'R3/PT1H'</bpmn:timeCycle>");
    expect(xml).not.toContain("timeDuration");
  });

  it("sets and removes a flow's condition", async () => {
    const { moddle, byId, toXml } = await load(SHIPPED);
    const flow = byId("F");
    flow.set("conditionExpression", conditionExpression(moddle, "amount > 1000"));
    expect(await toXml()).toContain(">amount &gt; 1000</bpmn:conditionExpression>");
    flow.set("conditionExpression", conditionExpression(moddle, "  "));
    expect(readCondition(flow)).toBe("");
  });

  it("shares one signal per name and makes a new one with a free id", async () => {
    const { moddle, definitions, toXml } = await load(SHIPPED);
    expect(rootRef(moddle, definitions, "bpmn:Signal", "lead_created").id).toBe("Signal_lead_created");
    const made = rootRef(moddle, definitions, "bpmn:Signal", "order_confirmed");
    expect(made.id).toBe("Signal_order_confirmed");
    expect(await toXml()).toContain('<bpmn:signal id="Signal_order_confirmed" name="order_confirmed" />');
  });
});

describe("new diagrams, ids and forms", () => {
  it("makes a diagram with a none start event that parses", async () => {
    const { byId } = await load(newDiagramXml("follow_up", 'Follow "up" & <more>', "Начало"));
    expect(byId("StartEvent_1").$type).toBe("bpmn:StartEvent");
    expect(byId("StartEvent_1").name).toBe("Начало");
    expect(panelKind(byId("StartEvent_1"))).toBe("other");
  });

  it("makes process ids from names", () => {
    expect(keyFromName("Follow up a deal!")).toBe("follow_up_a_deal");
    expect(keyFromName("2nd try")).toBe("process_2nd_try");
    expect(keyFromName("Сделка: щедрый счёт")).toBe("sdelka_shchedryy_schet");
    expect(keyFromName("!!!")).toBe("process");
  });

  it("parses and formats a task's form", () => {
    expect(parseForm("qualified:boolean, reason , note:text")).toEqual([
      { name: "qualified", type: "boolean" },
      { name: "reason", type: "string" },
      { name: "note", type: "text" },
    ]);
    expect(formatForm([{ name: " a ", type: "number" }, { name: "", type: "string" }])).toBe("a:number");
  });
});

describe("the designer offers only what the engine runs", () => {
  it("keeps the palette's tools, events, gateway, task and subprocess", () => {
    const entries = Object.fromEntries(
      ["hand-tool", "create.start-event", "create.task", "create.data-object", "create.data-store", "create.participant-expanded", "create.group", "create.subprocess-expanded"].map((k) => [k, {}]),
    );
    expect(Object.keys(filterPalette(entries))).toEqual(["hand-tool", "create.start-event", "create.task", "create.subprocess-expanded"]);
  });

  it("takes DMN, complex gateways, ad-hoc subprocesses and unsupported events out of the replace menu", () => {
    const ids = [
      "replace-with-user-task",
      "replace-with-rule-task",
      "replace-with-complex-gateway",
      "replace-with-ad-hoc-subprocess",
      "replace-with-conditional-start",
      "replace-with-escalation-end",
      "replace-with-timer-boundary",
      "replace-with-signal-start",
      "replace-with-conditional-flow",
      "toggle-loop",
    ];
    const kept = Object.keys(filterReplace(Object.fromEntries(ids.map((k) => [k, {}]))));
    expect(kept).toEqual(["replace-with-user-task", "replace-with-timer-boundary", "replace-with-signal-start", "replace-with-conditional-flow", "toggle-loop"]);
  });

  it("drops conditional events and compensation from the context pad", () => {
    const ids = ["append.append-task", "append.condition-intermediate-event", "append.compensation-activity", "connect", "delete"];
    expect(Object.keys(filterContextPad(Object.fromEntries(ids.map((k) => [k, {}]))))).toEqual(["append.append-task", "connect", "delete"]);
  });
});

describe("the designer in Russian", () => {
  it("translates what it offers and leaves the rest", () => {
    expect(translateRu("Append task")).toBe("Добавить задачу");
    expect(translateRu("Create pool/participant")).toBe("Create pool/participant");
    expect(translateRu("Unknown {thing}", { thing: "x" })).toBe("Unknown x");
  });

  it("has Russian words for every palette tool it keeps", () => {
    const titles: Record<string, string> = {
      "hand-tool": "Activate hand tool",
      "lasso-tool": "Activate lasso tool",
      "space-tool": "Activate create/remove space tool",
      "global-connect-tool": "Activate global connect tool",
      "create.start-event": "Create start event",
      "create.intermediate-event": "Create intermediate/boundary event",
      "create.end-event": "Create end event",
      "create.exclusive-gateway": "Create gateway",
      "create.task": "Create task",
      "create.subprocess-expanded": "Create expanded sub-process",
    };
    for (const id of PALETTE_KEEP) if (titles[id]) expect(BPMN_RU[titles[id]], id).toBeTruthy();
  });
});
