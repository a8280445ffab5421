"""`jauap up` offers to create the first admin: only on a terminal, only when there is none."""

import io

import pytest

from jauap.first_admin import offer_first_admin

pytestmark = pytest.mark.unit


class Terminal(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


class Answers:
    def __init__(self, *answers: str) -> None:
        self.answers = list(answers)
        self.asked: list[str] = []

    def __call__(self, prompt: str) -> str:
        self.asked.append(prompt)
        return self.answers.pop(0)


def offer(tty: bool, admin_exists: bool, answers: Answers, results: list[int]) -> tuple[list[str], str]:
    added: list[str] = []
    out = io.StringIO()

    def add(name: str) -> int:
        added.append(name)
        return results.pop(0)

    offer_first_admin({}, stdin=Terminal(tty), out=out, ask=answers, has_admin=lambda: admin_exists, add=add)
    return added, out.getvalue()


def test_a_terminal_without_an_admin_is_offered_one() -> None:
    answers = Answers("aigerim")
    added, out = offer(True, False, answers, [0])
    assert added == ["aigerim"] and "no admin account yet" in out


def test_no_prompt_when_not_on_a_terminal_or_when_an_admin_exists() -> None:
    for tty, exists in ((False, False), (True, True)):
        answers = Answers()
        assert offer(tty, exists, answers, []) == ([], "")
        assert answers.asked == []


def test_enter_skips_and_says_how_to_do_it_later() -> None:
    added, out = offer(True, False, Answers(""), [])
    assert added == [] and "jauap users add NAME --role admin" in out


def test_a_failed_add_can_be_tried_again() -> None:
    added, _ = offer(True, False, Answers("boss", "y", "n"), [1, 1])
    assert added == ["boss", "boss"]
