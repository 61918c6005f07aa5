import pytest

from fuzz.budget import BudgetError, format_duration, parse_budget
from fuzz.cli import main


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90s", 90),
        ("10m", 600),
        ("2h", 7200),
        ("1h30m", 5400),
        ("1h0m5s", 3605),
        ("2m30s", 150),
        (" 5M ", 300),
    ],
)
def test_accepted_budgets(text: str, seconds: int) -> None:
    assert parse_budget(text) == seconds


@pytest.mark.parametrize("text", ["", "10", "m", "1.5h", "-5m", "30m1h", "0s", "10 m", "2d", "1h30", "h1"])
def test_rejected_budgets(text: str) -> None:
    with pytest.raises(BudgetError, match="invalid budget"):
        parse_budget(text)


def test_bad_budget_is_exit_status_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--budget", "ten minutes", "--out", "unused"]) == 2
    err = capsys.readouterr().err
    assert "invalid budget 'ten minutes'" in err and "1h30m" in err


def test_format_duration() -> None:
    assert format_duration(5) == "5s"
    assert format_duration(125) == "2m05s"
    assert format_duration(3725) == "1h02m05s"
