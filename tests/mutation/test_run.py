"""The mutation runner finds every rules module and the unit tests that guard it."""

from pathlib import Path

from tests.mutation.run import ROOT, default_targets, unit_tests_for


def test_every_domain_module_and_the_platform_fields_are_targets() -> None:
    targets = {t.as_posix() for t in default_targets()}
    for domain in ROOT.glob("services/*/domain.py"):
        assert domain.relative_to(ROOT).as_posix() in targets
    assert "services/platform/fields.py" in targets
    assert not any("migrations" in t or "/tests/" in t for t in targets)


def test_a_rules_module_is_tested_by_its_own_areas_unit_tests_only() -> None:
    assert unit_tests_for(Path("services/sales/domain.py")) == Path("tests/sales/unit")
    assert unit_tests_for(Path("services/platform/fields.py")) == Path("tests/platform/unit")
    assert unit_tests_for(Path("services/integrations/mail/domain.py")) == Path(
        "tests/integrations/unit"
    )
