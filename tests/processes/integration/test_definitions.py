"""Definitions: upload, refusal with the parser's message and line, versions, deploy,
download, the shipped diagrams; a running instance keeps the version it started on."""

from __future__ import annotations

import pytest

from services.platform.errors import Conflict, PermissionDenied, ValidationFailed

from .conftest import ADMIN, REP, call, fixture_xml

TIMER = fixture_xml("timer_then_post.bpmn")


def test_upload_version_deploy_and_download(processes):
    created = call(processes, "create_process_definition", TIMER, actor=ADMIN, comment="first")
    assert created["key"] == "wait_then_note" and created["version"] == 1
    assert created["is_deployed"] is False

    changed = TIMER.replace('name="Wait, then note"', 'name="Wait, then write it down"')
    saved = call(
        processes,
        "save_process_definition_version",
        created["id"],
        changed,
        actor=ADMIN,
        expected_version=created["row_version"],
    )
    assert saved["latest_version"] == 2 and saved["name"] == "Wait, then write it down"
    assert saved["deployed_version"] is None

    deployed = call(processes, "deploy_process_definition", created["id"], actor=ADMIN, version=1)
    assert deployed["deployed_version"] == 1 and deployed["is_deployed"]
    versions = call(processes, "list_process_definition_versions", created["id"], actor=REP)
    assert [(v["number"], v["is_deployed"]) for v in versions] == [(2, False), (1, True)]

    assert (
        call(processes, "get_process_definition_xml", created["id"], actor=REP, version=1)[
            "bpmn_xml"
        ]
        == TIMER
    )
    assert (
        "write it down"
        in call(processes, "get_process_definition_xml", created["id"], actor=REP)["bpmn_xml"]
    )

    # a stale save changes nothing
    with pytest.raises(Conflict):
        call(
            processes,
            "save_process_definition_version",
            created["id"],
            changed,
            actor=ADMIN,
            expected_version=1,
        )


def test_running_instances_keep_their_version(processes):
    created = call(processes, "create_process_definition", TIMER, actor=ADMIN)
    call(processes, "deploy_process_definition", created["id"], actor=ADMIN)
    first = call(
        processes,
        "start_process_instance",
        {"definition_id": created["id"], "data": {"delay": "PT1H"}},
        actor=REP,
    )
    call(
        processes,
        "save_process_definition_version",
        created["id"],
        TIMER.replace("Note the time", "Note it"),
        actor=ADMIN,
    )
    call(processes, "deploy_process_definition", created["id"], actor=ADMIN)
    second = call(
        processes,
        "start_process_instance",
        {"definition_id": created["id"], "data": {"delay": "PT1H"}},
        actor=REP,
    )
    assert first["version"] == 1 and second["version"] == 2
    assert call(processes, "get_process_instance", first["id"], actor=REP)["version"] == 1


def test_a_diagram_the_engine_cannot_run_is_refused_with_element_and_line(processes):
    broken = TIMER.replace("woke_at = now()", "import os\nwoke_at = os.getcwd()")
    with pytest.raises(ValidationFailed) as refused:
        call(processes, "create_process_definition", broken, actor=ADMIN)
    error = refused.value.errors[0]
    assert error["element_id"] == "Note" and error["element"] == "bpmn:scriptTask"
    assert error["line"] == 13 and "imports are not allowed" in error["message"]

    with pytest.raises(ValidationFailed) as not_xml:
        call(processes, "create_process_definition", "<bpmn:definitions", actor=ADMIN)
    assert "not well-formed" in not_xml.value.errors[0]["message"]

    script_task = (
        '<bpmn:scriptTask id="Note" name="Note the time">\n'
        "      <bpmn:script>woke_at = now()</bpmn:script>\n"
        "    </bpmn:scriptTask>"
    )
    service_task = (
        '<bpmn:serviceTask id="Note"><bpmn:extensionElements>'
        '<spiffworkflow:serviceTaskOperator id="format_disk" />'
        "</bpmn:extensionElements></bpmn:serviceTask>"
    )
    assert script_task in TIMER
    unknown_action = TIMER.replace(script_task, service_task)
    with pytest.raises(ValidationFailed) as refused_action:
        call(processes, "create_process_definition", unknown_action, actor=ADMIN)
    assert "unknown action 'format_disk'" in refused_action.value.errors[0]["message"]

    entity = (
        '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">&x;</bpmn:definitions>'
    )
    with pytest.raises(ValidationFailed) as refused_entity:
        call(processes, "create_process_definition", entity, actor=ADMIN)
    assert "root:" not in str(refused_entity.value.errors)

    checked = call(processes, "validate_process_definition", broken, actor=REP)
    assert checked["valid"] is False and checked["errors"][0]["line"] == 13
    assert call(processes, "validate_process_definition", TIMER, actor=REP)["valid"] is True


def test_only_administrators_design_and_a_key_is_unique(processes):
    with pytest.raises(PermissionDenied):
        call(processes, "create_process_definition", TIMER, actor=REP)
    call(processes, "create_process_definition", TIMER, actor=ADMIN)
    with pytest.raises(Conflict):
        call(processes, "create_process_definition", TIMER, actor=ADMIN)


def test_the_shipped_diagrams_are_installed_once_and_a_changed_one_is_kept(processes):
    first = call(processes, "ensure_shipped_process_definitions", actor=ADMIN)
    lead = next(d for d in first if d["key"] == "lead_management")
    xml = call(processes, "get_process_definition_xml", lead["id"], actor=ADMIN)["bpmn_xml"]
    call(
        processes,
        "save_process_definition_version",
        lead["id"],
        xml.replace("Qualify the lead", "Call the lead"),
        actor=ADMIN,
    )
    call(processes, "deploy_process_definition", lead["id"], actor=ADMIN)
    again = call(processes, "ensure_shipped_process_definitions", actor=ADMIN)
    kept = next(d for d in again if d["key"] == "lead_management")
    assert kept["id"] == lead["id"] and kept["deployed_version"] == 2
    catalogue = call(processes, "list_process_actions", actor=REP)
    assert {"create_record", "assign_owner", "post_to_feed", "call_webhook"} <= {
        a["name"] for a in catalogue["actions"]
    }
    assert "lead_created" in catalogue["start_events"]


def test_a_rep_reads_only_the_processes_of_records_they_may_read(processes):
    from services.platform.errors import NotFound
    from services.platform.ids import new_id

    from .conftest import OTHER_REP, TEAM, person

    definition = call(processes, "create_process_definition", TIMER, actor=ADMIN)
    call(processes, "deploy_process_definition", definition["id"], actor=ADMIN)
    record = {"owner_id": REP["id"], "team_id": TEAM}
    started = call(
        processes,
        "start_process_instance",
        {
            "definition_id": definition["id"],
            "record_type": "lead",
            "record_id": new_id(),
            "data": {"delay": "PT1H", "record": record},
        },
        actor=REP,
    )
    outsider = person("zed@osprey.test", "sales_rep", new_id())
    with pytest.raises(NotFound):
        call(processes, "get_process_instance", started["id"], actor=outsider)
    assert call(processes, "list_process_instances", None, actor=outsider)["items"] == []
    # the record's team reads it, and so does an administrator
    assert (
        call(processes, "get_process_instance", started["id"], actor=OTHER_REP)["id"]
        == started["id"]
    )
    assert len(call(processes, "list_process_instances", None, actor=ADMIN)["items"]) == 1
