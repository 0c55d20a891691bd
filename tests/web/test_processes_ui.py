"""The Processes screens in a real browser: an administrator draws a small process in
the bpmn-js designer with clicks, validates, saves and deploys it, starts an instance by
hand and sees where it stands on the instance page; a diagram the engine cannot run shows
its problem and selects the element; a record's Process tab starts a process."""

from __future__ import annotations

import re
import uuid
from typing import Any

from playwright.sync_api import Page, expect

from tests.web.conftest import Site, sign_in
from tests.web.sales import created, snapshot

WIDE = {"width": 1440, "height": 900}


def tag() -> str:
    return uuid.uuid4().hex[:8]


def open_designer(page: Page, site: Site) -> None:
    page.set_viewport_size(WIDE)
    sign_in(page, site, "/processes/new")
    expect(page.locator(".designer-canvas[data-ready=true]")).to_be_visible()


def shape(page: Page, element_id: str):
    return page.locator(f".designer-canvas .djs-element.djs-shape[data-element-id='{element_id}']")


def panel(page: Page):
    return page.locator(".process-panel")


def append_from_selected(page: Page, action: str) -> str:
    """Click a context pad entry of the selected shape; the new shape is selected, its
    label editor is closed, and its id is returned (from the side panel)."""
    before = panel(page).get_attribute("data-element")
    page.locator(f".djs-context-pad .entry[data-action='{action}']").click()
    expect(panel(page)).not_to_have_attribute("data-element", before or "")
    page.keyboard.press("Escape")  # close the label editor: names are set in the panel
    return panel(page).get_attribute("data-element") or ""


def test_draw_validate_save_deploy_start_and_follow_an_instance(page: Page, site: Site) -> None:
    word = tag()
    open_designer(page, site)

    # New diagram: one start event. From its context pad: a task made a script task.
    shape(page, "StartEvent_1").click()
    expect(panel(page)).to_have_attribute("data-element", "StartEvent_1")
    first = append_from_selected(page, "append.append-task")
    panel(page).get_by_label("Kind of task").select_option("bpmn:ScriptTask")
    script_id = panel(page).get_attribute("data-element") or ""
    assert script_id
    panel(page).get_by_label("Name").fill("Prepare the greeting")
    panel(page).get_by_label("Script").fill("greeting = 'Hello ' + str(record.get('id'))")
    expect(shape(page, script_id)).to_contain_text("Prepare the greeting")

    # Then a user task for whoever started it, due in a day, with a form.
    user_id = append_from_selected(page, "append.append-task")
    assert user_id not in ("", first)
    panel(page).get_by_label("Kind of task").select_option("bpmn:UserTask")
    user_id = panel(page).get_attribute("data-element") or ""
    panel(page).get_by_label("Name").fill("Call the customer")
    panel(page).get_by_label("Assignee").fill("started_by")
    panel(page).get_by_label("Role when nobody is assigned").fill("sales_manager")
    panel(page).get_by_label("Due in days").fill("1")
    panel(page).get_by_label("Activity").select_option("call")
    panel(page).get_by_role("button", name="Add a field").click()
    panel(page).get_by_label("Field name").fill("reached")
    panel(page).get_by_label("Field type").select_option("boolean")

    # And an end event.
    end_id = append_from_selected(page, "append.end-event")
    panel(page).get_by_label("Name").fill("Greeted")

    # The process itself (nothing selected): its name; its id follows the name.
    page.locator(".designer-canvas svg").first.click(position={"x": 700, "y": 480})
    expect(panel(page).get_by_role("heading", name="The process")).to_be_visible()
    panel(page).get_by_label("Name").fill(f"Greet {word}")
    expect(panel(page).get_by_label("Process id")).to_have_value(f"greet_{word}")
    snapshot(page, "process-designer-drawn")

    page.get_by_role("button", name="Validate").click()
    expect(page.get_by_role("status")).to_have_text("The engine can run this diagram.")

    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_url(re.compile(r"/processes/definitions/[0-9a-f-]+/design$"))
    expect(page.locator(".designer-canvas[data-ready=true]")).to_be_visible()
    expect(page.get_by_text("Editing from version 1")).to_be_visible()
    # What was saved is what was drawn, written the way the service reads it.
    definition_id = page.url.rsplit("/", 2)[-2]
    with site.api() as api:
        xml = api.get(f"/api/v1/process-definitions/{definition_id}/xml").text
    assert f'<bpmn:process id="greet_{word}" name="Greet {word}"' in xml
    assert f'<bpmn:scriptTask id="{script_id}" name="Prepare the greeting">' in xml
    assert '<spiffworkflow:property name="assignee" value="started_by" />' in xml
    assert '<spiffworkflow:property name="form" value="reached:boolean" />' in xml
    assert '<spiffworkflow:property name="activity_type" value="call" />' in xml
    assert f'<bpmn:endEvent id="{end_id}" name="Greeted">' in xml

    page.get_by_role("button", name="Deploy").click()
    expect(page.get_by_role("status")).to_have_text("Version 1 is deployed.")

    # The library lists it deployed; its page starts an instance by hand.
    page.get_by_role("link", name="Library").click()
    row = page.locator(f"tr[data-process='greet_{word}']")
    expect(row).to_contain_text("v1")
    expect(row.locator(".badge.accent")).to_have_text("v1")
    snapshot(page, "process-library")
    row.get_by_role("link", name=f"Greet {word}").click()
    expect(page.locator("tr[data-version='1']")).to_contain_text("deployed")
    expect(page.locator("tr[data-version='1']")).to_contain_text("by hand")
    snapshot(page, "process-definition")
    page.get_by_role("button", name="Start an instance").click()

    # The instance page: it waits at the user task, highlighted on the diagram.
    page.wait_for_url(re.compile(r"/processes/instances/[0-9a-f-]+$"))
    expect(page.get_by_test_id("instance-state")).to_have_text("Waiting", timeout=30_000)
    expect(page.locator(".diagram-view[data-ready=true]")).to_be_visible()
    highlighted = page.locator(".diagram-view .djs-element.process-current")
    expect(highlighted).to_have_count(1)
    expect(highlighted).to_have_attribute("data-element-id", user_id)
    expect(page.locator(".current-list")).to_contain_text("Call the customer")
    log = page.locator(".instance-log tbody")
    expect(log.locator("tr").first).to_contain_text("started")
    expect(log.locator("tr", has_text="task created")).to_contain_text("Call the customer")
    expect(log.locator("tr", has_text="activity created")).to_contain_text("Call the customer")
    tasks = page.get_by_role("heading", name="Open tasks").locator("xpath=following-sibling::ul[1]")
    expect(tasks).to_contain_text("Call the customer")
    snapshot(page, "process-instance")

    # The instance list finds it by its process and its state.
    page.get_by_role("navigation", name="Processes").get_by_role("link", name="Instances").click()
    process = page.get_by_label("Process", exact=True)
    expect(process.locator("option", has_text=f"Greet {word}")).to_have_count(1, timeout=15_000)
    process.select_option(label=f"Greet {word}")
    page.get_by_label("State").select_option("waiting")
    expect(page.locator("tbody tr")).to_have_count(1)
    expect(page.locator("tbody tr")).to_contain_text("Call the customer")


def test_a_diagram_the_engine_cannot_run_shows_the_problem_and_selects_the_element(
    page: Page, site: Site
) -> None:
    open_designer(page, site)
    shape(page, "StartEvent_1").click()
    append_from_selected(page, "append.append-task")
    panel(page).get_by_label("Kind of task").select_option("bpmn:ServiceTask")
    task_id = panel(page).get_attribute("data-element") or ""
    panel(page).get_by_label("Name").fill("Do something")
    # The palette offers only what the engine runs.
    palette = page.locator(".djs-palette")
    expect(palette.locator("[data-action='create.task']")).to_have_count(1)
    expect(palette.locator("[data-action='create.data-store']")).to_have_count(0)
    expect(palette.locator("[data-action='create.participant-expanded']")).to_have_count(0)

    # Nothing selected, then Validate: the problem is listed and its element selected.
    page.locator(".designer-canvas svg").first.click(position={"x": 700, "y": 480})
    expect(panel(page)).not_to_have_attribute("data-element", task_id)
    page.get_by_role("button", name="Validate").click()
    problems = page.locator(".process-problems")
    expect(problems).to_contain_text("a service task needs an action")
    expect(problems).to_contain_text("Do something")
    expect(problems).to_contain_text(re.compile(r"line \d+"))
    expect(panel(page)).to_have_attribute("data-element", task_id)
    expect(shape(page, task_id)).to_have_class(re.compile(r"\bselected\b"))
    snapshot(page, "process-designer-problem")

    # Saving it is refused the same way, and nothing is saved.
    page.get_by_role("button", name="Save", exact=True).click()
    expect(problems).to_contain_text("a service task needs an action")
    assert "/processes/new" in page.url

    # Choosing an action shows its parameter form; filled in, the diagram is valid.
    panel(page).get_by_label("Action").select_option("post_to_feed")
    panel(page).get_by_label("text *").fill("'Hello from a process'")
    panel(page).get_by_label("related_type").fill("'lead'")
    panel(page).get_by_label("related_id").fill("record['id']")
    page.get_by_role("button", name="Validate").click()
    expect(page.get_by_role("status")).to_have_text("The engine can run this diagram.")


MANUAL_XML = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI"
  xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" xmlns:di="http://www.omg.org/spec/DD/20100524/DI"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="D" targetNamespace="https://osprey.dev/bpmn">
  <bpmn:process id="{key}" name="{name}" isExecutable="true">
    <bpmn:startEvent id="Begin"><bpmn:outgoing>F1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="Review" name="Review the record">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="assignee" value="started_by" />
        <spiffworkflow:property name="due_in_days" value="2" />
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>F1</bpmn:incoming><bpmn:outgoing>F2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="Finish"><bpmn:incoming>F2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="F1" sourceRef="Begin" targetRef="Review" />
    <bpmn:sequenceFlow id="F2" sourceRef="Review" targetRef="Finish" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="Diagram">
    <bpmndi:BPMNPlane id="Plane" bpmnElement="{key}">
      <bpmndi:BPMNShape id="Begin_di" bpmnElement="Begin">
        <dc:Bounds x="100" y="100" width="36" height="36" /></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="Review_di" bpmnElement="Review">
        <dc:Bounds x="200" y="78" width="100" height="80" /></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="Finish_di" bpmnElement="Finish">
        <dc:Bounds x="360" y="100" width="36" height="36" /></bpmndi:BPMNShape>
      <bpmndi:BPMNEdge id="F1_di" bpmnElement="F1">
        <di:waypoint x="136" y="118" /><di:waypoint x="200" y="118" /></bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="F2_di" bpmnElement="F2">
        <di:waypoint x="300" y="118" /><di:waypoint x="360" y="118" /></bpmndi:BPMNEdge>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>"""


def test_a_records_process_tab_starts_a_process_and_shows_where_it_stands(
    page: Page, site: Site
) -> None:
    word = tag()
    name = f"Review {word}"
    with site.api() as api:
        lead = created(api.post("/api/v1/leads", json={"contact_name": f"Ilse Marrow {word}"}))

    # The library takes a .bpmn file; its page deploys it and gives the XML back.
    page.set_viewport_size(WIDE)
    sign_in(page, site, "/processes")
    page.locator("input[type=file]").set_input_files(
        files=[
            {
                "name": f"review-{word}.bpmn",
                "mimeType": "application/xml",
                "buffer": MANUAL_XML.format(key=f"review_{word}", name=name).encode(),
            }
        ]
    )
    page.wait_for_url(re.compile(r"/processes/definitions/[0-9a-f-]+$"))
    version = page.locator("tr[data-version='1']")
    expect(version).to_contain_text("latest")
    expect(version).not_to_contain_text("deployed")
    expect(page.get_by_role("button", name="Start an instance")).to_have_count(0)
    download = version.get_by_role("link", name="Download XML")
    with site.api() as api:
        xml = api.get(download.get_attribute("href") or "").text
    assert f'<bpmn:process id="review_{word}" name="{name}"' in xml
    version.get_by_role("button", name="Deploy").click()
    expect(version.locator(".badge.accent")).to_have_text("deployed")
    expect(page.get_by_role("button", name="Start an instance")).to_be_visible()

    page.goto(f"{site.base_url}/leads/{lead['id']}?tab=process")
    expect(page.get_by_text("No process has run for this record.")).to_be_visible()
    page.get_by_label("Process to start").select_option(label=name)
    page.get_by_role("button", name="Start a process").click()

    row = page.locator(".record-process .plain-row").first
    expect(row).to_contain_text(name)
    expect(row.locator(".record-process-state")).to_have_text("Waiting", timeout=30_000)
    expect(row).to_contain_text("At: Review the record")
    expect(row).to_contain_text("Task: Review the record")
    # The started instance opens below it: the diagram with the task highlighted.
    expect(row.locator(".diagram-view[data-ready=true]")).to_be_visible()
    current = row.locator(".djs-element.process-current")
    expect(current).to_have_attribute("data-element-id", "Review")
    snapshot(page, "record-process-tab")

    with site.api() as api:
        found = api.get(
            "/api/v1/process-instances",
            params={"filter[record_type]": "lead", "filter[record_id]": lead["id"]},
        ).json()["items"]
    assert [(i["name"], i["record_id"]) for i in found] == [(name, lead["id"])]

    row.get_by_role("link", name="Open the instance").click()
    page.wait_for_url(re.compile(rf"/processes/instances/{found[0]['id']}$"))
    expect(page.get_by_test_id("instance-state")).to_have_text("Waiting")
    expect(page.get_by_role("link", name="Open the lead")).to_have_attribute(
        "href", f"/leads/{lead['id']}"
    )

    # An administrator cancels it (after saying yes): its task goes with it.
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Cancel the instance").click()
    expect(page.get_by_test_id("instance-state")).to_have_text("Cancelled")
    expect(page.get_by_text("No open tasks.")).to_be_visible()
    expect(page.locator(".instance-log tbody")).to_contain_text("cancelled")
    expect(page.get_by_role("button", name="Cancel the instance")).to_have_count(0)


def test_the_side_panel_writes_a_signal_start_a_timer_and_a_flow_condition(
    page: Page, site: Site
) -> None:
    word = tag()
    open_designer(page, site)

    # The start event becomes a signal start (the replace menu): a lead created from the web.
    shape(page, "StartEvent_1").click()
    page.locator(".djs-context-pad .entry[data-action='replace']").click()
    menu = page.locator(".djs-popup")
    expect(menu.locator("[data-id='replace-with-rule-task']")).to_have_count(0)
    menu.locator("[data-id='replace-with-signal-start']").click()
    expect(panel(page).get_by_role("heading")).to_have_text("Start event")
    start_id = panel(page).get_attribute("data-element") or ""
    panel(page).get_by_label("Record event").select_option("lead_created")
    panel(page).get_by_label("Record type").select_option("lead")
    panel(page).get_by_label("Condition").fill("record.get('source') == 'web'")

    # Then an intermediate event made a timer: an hour later.
    append_from_selected(page, "append.intermediate-event")
    page.locator(".djs-context-pad .entry[data-action='replace']").click()
    page.locator(".djs-popup [data-id='replace-with-timer-intermediate-catch']").click()
    expect(panel(page).get_by_label("Timer expression")).to_be_visible()
    timer_id = panel(page).get_attribute("data-element") or ""
    panel(page).get_by_label("Name").fill("An hour later")
    panel(page).get_by_label("Timer expression").fill("'PT1H'")

    # Then a gateway with a conditional way to the end.
    append_from_selected(page, "append.gateway")
    end_id = append_from_selected(page, "append.end-event")
    flows = page.locator(".designer-canvas .djs-connection").evaluate_all(
        "elements => elements.map((e) => e.dataset.elementId)"
    )
    # A straight flow has no height, so click the middle of its line.
    line = page.locator(f".djs-connection[data-element-id='{flows[-1]}']").bounding_box()
    assert line is not None
    page.mouse.click(line["x"] + line["width"] / 2, line["y"] + line["height"] / 2)
    expect(panel(page)).to_have_attribute("data-element", flows[-1])
    panel(page).get_by_label("Condition").fill("amount > 1000")

    page.locator(".designer-canvas svg").first.click(position={"x": 700, "y": 520})
    panel(page).get_by_label("Name").fill(f"Web leads {word}")
    snapshot(page, "process-designer-events")
    page.get_by_role("button", name="Validate").click()
    expect(page.get_by_role("status")).to_have_text("The engine can run this diagram.")
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_url(re.compile(r"/processes/definitions/[0-9a-f-]+/design$"))
    definition_id = page.url.rsplit("/", 2)[-2]

    with site.api() as api:
        xml = api.get(f"/api/v1/process-definitions/{definition_id}/xml").text
        versions = api.get(f"/api/v1/process-definitions/{definition_id}").json()["versions"]
    assert '<bpmn:signal id="Signal_lead_created" name="lead_created" />' in xml
    assert 'signalRef="Signal_lead_created"' in xml
    assert '<spiffworkflow:property name="record_type" value="lead" />' in xml
    assert f'<bpmn:intermediateCatchEvent id="{timer_id}" name="An hour later">' in xml
    assert re.search(r"<bpmn:timeDuration[^>]*>'PT1H'</bpmn:timeDuration>", xml)
    assert re.search(r"<bpmn:conditionExpression[^>]*>amount &gt; 1000</", xml)
    assert f'targetRef="{end_id}"' in xml
    # The service reads it as a start on lead_created with its condition.
    assert versions[0]["triggers"] == [
        {
            "start_event_id": start_id,
            "condition": "record.get('source') == 'web'",
            "record_type": "lead",
            "kind": "signal",
            "name": "lead_created",
        }
    ]

    # Opened again, the panel shows what was saved.
    expect(page.locator(".designer-canvas[data-ready=true]")).to_be_visible()
    shape(page, timer_id).click()
    expect(panel(page).get_by_label("Timer expression")).to_have_value("'PT1H'")
    shape(page, start_id).click()
    expect(panel(page).get_by_label("Record event")).to_have_value("lead_created")


FAILING_XML = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI"
  xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" xmlns:di="http://www.omg.org/spec/DD/20100524/DI"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="D" targetNamespace="https://osprey.dev/bpmn">
  <bpmn:process id="{key}" name="{name}" isExecutable="true">
    <bpmn:startEvent id="Begin"><bpmn:outgoing>F1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:serviceTask id="Read" name="Read a lead nobody has">
      <bpmn:extensionElements>
        <spiffworkflow:serviceTaskOperator id="read_record" resultVariable="found">
          <spiffworkflow:parameters>
            <spiffworkflow:parameter id="entity" type="any" value="'lead'" />
            <spiffworkflow:parameter id="id" type="any"
              value="'00000000-0000-0000-0000-00000000dead'" />
          </spiffworkflow:parameters>
        </spiffworkflow:serviceTaskOperator>
      </bpmn:extensionElements>
      <bpmn:incoming>F1</bpmn:incoming><bpmn:outgoing>F2</bpmn:outgoing>
    </bpmn:serviceTask>
    <bpmn:endEvent id="Finish"><bpmn:incoming>F2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="F1" sourceRef="Begin" targetRef="Read" />
    <bpmn:sequenceFlow id="F2" sourceRef="Read" targetRef="Finish" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="Diagram">
    <bpmndi:BPMNPlane id="Plane" bpmnElement="{key}">
      <bpmndi:BPMNShape id="Begin_di" bpmnElement="Begin">
        <dc:Bounds x="100" y="100" width="36" height="36" /></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="Read_di" bpmnElement="Read">
        <dc:Bounds x="200" y="78" width="100" height="80" /></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="Finish_di" bpmnElement="Finish">
        <dc:Bounds x="360" y="100" width="36" height="36" /></bpmndi:BPMNShape>
      <bpmndi:BPMNEdge id="F1_di" bpmnElement="F1">
        <di:waypoint x="136" y="118" /><di:waypoint x="200" y="118" /></bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="F2_di" bpmnElement="F2">
        <di:waypoint x="300" y="118" /><di:waypoint x="360" y="118" /></bpmndi:BPMNEdge>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>"""


def test_an_administrator_retries_and_skips_a_failed_step(page: Page, site: Site) -> None:
    word = tag()
    with site.api() as api:
        definition = created(
            api.post(
                "/api/v1/process-definitions",
                content=FAILING_XML.format(key=f"failing_{word}", name=f"Failing {word}"),
                headers={"Content-Type": "application/xml"},
            )
        )
        deployed = api.post(
            f"/api/v1/process-definitions/{definition['id']}/deploy",
            json={},
            headers={"If-Match": f'"{definition["row_version"]}"'},
        )
        assert deployed.status_code == 200, deployed.text
        instance = created(
            api.post("/api/v1/process-instances", json={"definition_id": definition["id"]})
        )

    page.set_viewport_size(WIDE)
    sign_in(page, site, f"/processes/instances/{instance['id']}")
    state = page.get_by_test_id("instance-state")
    expect(state).to_have_text("Failed", timeout=30_000)
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("“Read a lead nobody has” failed: read_record")
    failed = page.locator(".diagram-view .djs-element.process-failed")
    expect(failed).to_have_attribute("data-element-id", "Read")
    snapshot(page, "process-instance-failed")

    # Retry asks again (and fails again: nobody has that lead); the log says so.
    page.get_by_role("button", name="Retry").click()
    log = page.locator(".instance-log tbody")
    expect(log).to_contain_text("retried")
    expect(state).to_have_text("Failed", timeout=30_000)

    # Skip completes the step as if it had worked: the instance runs to its end.
    page.get_by_role("button", name="Skip the step").click()
    expect(state).to_have_text("Completed", timeout=30_000)
    expect(log).to_contain_text("skipped")
    expect(page.get_by_role("button", name="Retry")).to_have_count(0)
    expect(page.get_by_role("button", name="Cancel the instance")).to_have_count(0)


def deploy_manual(api: Any, word: str) -> tuple[dict[str, Any], str]:
    name = f"Review {word}"
    definition = created(
        api.post(
            "/api/v1/process-definitions",
            content=MANUAL_XML.format(key=f"review_{word}", name=name),
            headers={"Content-Type": "application/xml"},
        )
    )
    deployed = api.post(
        f"/api/v1/process-definitions/{definition['id']}/deploy",
        json={},
        headers={"If-Match": f'"{definition["row_version"]}"'},
    )
    assert deployed.status_code == 200, deployed.text
    return definition, name


def test_a_sales_rep_starts_a_process_on_a_lead_and_sees_it_without_the_admin_screens(
    page: Page, site: Site
) -> None:
    word = tag()
    password = uuid.uuid4().hex
    email = f"p{uuid.uuid4().hex[:9]}@osprey.test"
    with site.api() as api:
        _, name = deploy_manual(api, word)
        roles = api.get("/api/v1/roles").json()["items"]
        rep = next(r["id"] for r in roles if r["name"] == "sales_rep")
        created(
            api.post(
                "/api/v1/users",
                json={
                    "email": email,
                    "full_name": f"Petra Lind {word}",
                    "password": password,
                    "role_ids": [rep],
                },
            )
        )
    rep_site = Site(site.base_url, email, password)
    with rep_site.api() as api:
        lead = created(api.post("/api/v1/leads", json={"contact_name": f"Oskar Vale {word}"}))

    page.set_viewport_size(WIDE)
    sign_in(page, rep_site, f"/leads/{lead['id']}?tab=process")
    # Designing is for administrators: no menu entry, and the address says so.
    expect(page.locator("[data-section='processes']")).to_have_count(0)
    page.get_by_label("Process to start").select_option(label=name)
    page.get_by_role("button", name="Start a process").click()
    row = page.locator(".record-process .plain-row").first
    expect(row.locator(".record-process-state")).to_have_text("Waiting", timeout=30_000)
    expect(row).to_contain_text("Task: Review the record")
    expect(row.locator(".djs-element.process-current")).to_have_attribute(
        "data-element-id", "Review"
    )
    expect(row.locator(".instance-log")).to_contain_text(f"Petra Lind {word}")
    # No repairs and no admin instance page for a rep.
    expect(row.get_by_role("link", name="Open the instance")).to_have_count(0)
    expect(row.get_by_role("button", name="Cancel the instance")).to_have_count(0)
    row.get_by_role("button", name="Hide").click()
    expect(row.locator(".diagram-view")).to_have_count(0)

    page.goto(f"{site.base_url}/processes")
    expect(
        page.get_by_role("heading", name="You do not have access to this section.")
    ).to_be_visible()


def test_the_designer_speaks_russian_to_a_russian_administrator(page: Page, site: Site) -> None:
    password = uuid.uuid4().hex
    email = f"r{uuid.uuid4().hex[:9]}@osprey.test"
    with site.api() as api:
        roles = api.get("/api/v1/roles").json()["items"]
        admin = next(r["id"] for r in roles if r["name"] == "admin")
        created(
            api.post(
                "/api/v1/users",
                json={
                    "email": email,
                    "full_name": "Вера Админ",
                    "password": password,
                    "role_ids": [admin],
                    "locale": "ru",
                },
            )
        )
    page.set_viewport_size(WIDE)
    sign_in(page, Site(site.base_url, email, password), "/processes/new")
    expect(page.locator(".designer-canvas[data-ready=true]")).to_be_visible()
    expect(page.get_by_role("button", name="Проверить")).to_be_visible()
    expect(panel(page).get_by_role("heading")).to_have_text("Процесс")
    expect(panel(page).get_by_label("Название")).to_have_value("Новый процесс")
    palette = page.locator(".djs-palette")
    expect(palette.locator("[data-action='create.task']")).to_have_attribute("aria-label", "Задача")
    shape(page, "StartEvent_1").click()
    context_pad = page.locator(".djs-context-pad")
    expect(context_pad.locator("[data-action='append.append-task']")).to_have_attribute(
        "title", "Добавить задачу"
    )
    append_from_selected(page, "append.append-task")
    panel(page).get_by_label("Вид задачи").select_option("bpmn:UserTask")
    expect(panel(page).get_by_role("heading")).to_have_text("Пользовательская задача")
    # The process's id follows a Russian name, transliterated.
    page.locator(".designer-canvas svg").first.click(position={"x": 700, "y": 520})
    panel(page).get_by_label("Название").fill("Звонок клиенту")
    expect(panel(page).get_by_label("Идентификатор процесса")).to_have_value("zvonok_klientu")
    snapshot(page, "process-designer-ru")
