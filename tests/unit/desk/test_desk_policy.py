import pytest

from services.desk.auth import check_csrf
from services.desk.policy import Forbidden, Role, check_four_eyes, has_role, require_role

pytestmark = pytest.mark.unit


def test_roles_are_ordered() -> None:
    assert has_role("admin", Role.approver)
    assert has_role("approver", Role.operator)
    assert not has_role("operator", Role.approver)
    assert not has_role("nobody", Role.operator)
    with pytest.raises(Forbidden, match="needs the role approver"):
        require_role("operator", Role.approver, "approve")


def four_eyes(approver: str, role: str, author: str, author_role: str, allow: bool = True) -> None:
    check_four_eyes(
        approver=approver,
        approver_role=role,
        drafted_by=author,
        drafted_by_role=author_role,
        allow_self=allow,
    )


def test_approver_approves_someone_elses_draft() -> None:
    four_eyes("boss", "approver", "olga", "operator")
    four_eyes("root", "admin", "olga", "operator")


def test_operator_never_approves() -> None:
    with pytest.raises(Forbidden):
        four_eyes("olga", "operator", "other", "operator")


def test_nobody_approves_a_draft_they_wrote_as_operator() -> None:
    # e.g. promoted after writing it: the draft was still written under an operator's role
    with pytest.raises(Forbidden, match="four-eyes"):
        four_eyes("olga", "approver", "olga", "operator")


def test_approver_written_draft_follows_the_policy() -> None:
    four_eyes("boss", "approver", "boss", "approver", allow=True)
    with pytest.raises(Forbidden, match="another approver"):
        four_eyes("boss", "approver", "boss", "approver", allow=False)


def test_csrf() -> None:
    check_csrf("token-abc", "token-abc")
    with pytest.raises(Forbidden, match="missing X-CSRF-Token"):
        check_csrf("token-abc", None)
    with pytest.raises(Forbidden, match="does not match"):
        check_csrf("token-abc", "token-abd")
