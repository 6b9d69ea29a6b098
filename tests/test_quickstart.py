"""The README's two set-up commands are what CI runs, and they work on an externally managed Python."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def readme_commands() -> list[str]:
    quick_start = (ROOT / "README.md").read_text().split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.+?)\n\s*```", quick_start)


def test_ci_runs_exactly_the_readme_test_command():
    commands = readme_commands()
    assert len(commands) == 2
    ci_lines = (ROOT / ".ci" / "run").read_text().splitlines()
    assert commands[1].strip() in [line.strip() for line in ci_lines]


def test_both_commands_install_into_a_virtual_environment():
    # Debian 12's system pip refuses `pip install` (externally-managed-environment) outside a venv.
    for command in readme_commands():
        steps = [step.strip() for step in command.split("&&")]
        venv = steps.index("python3 -m venv .venv")
        assert steps[venv + 1] == ". .venv/bin/activate"
        assert all(not step.startswith("pip ") for step in steps[:venv])
        assert "python3-venv" in steps[0]  # Debian ships venv's ensurepip separately


def test_the_first_command_runs_the_main_job_and_both_take_the_cpu_build_of_torch():
    first, second = (command.split(" && ") for command in readme_commands())
    assert first[-3:] == ["backprop-sheet generate", "mnist fetch", "mnist train"]
    assert second[-3:] == ["mnist fetch", "ruff check .", "pytest"]
    cpu_index = "--extra-index-url https://download.pytorch.org/whl/cpu"
    assert f"pip install {cpu_index} -e '.[mnist]'" in first
    assert f"pip install {cpu_index} -e '.[mnist,test]'" in second
