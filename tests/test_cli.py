"""`python -m course` (and the `course` console script): the way to start the course without make."""

import platform
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from course.__main__ import course_root, main, start_command

REPO = Path(__file__).resolve().parents[1]


def test_start_dry_run_prints_the_jupyterlab_command_for_the_course_folder(tmp_path, capsys):
    (tmp_path / "lectures").mkdir()
    assert main(["start", "--dry-run", "--port", "9123", "--root", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert "-m jupyter lab" in printed and "--port=9123" in printed and "--ip=127.0.0.1" in printed
    assert f"--ServerApp.root_dir={tmp_path.resolve()}" in printed
    assert "--LabApp.default_url=/lab/tree/lectures" in printed and "--no-browser" in printed


def test_start_finds_the_clone_from_any_folder_and_refuses_a_folder_without_lectures(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no lectures/ here: the editable install's clone is used
    assert course_root() == REPO
    with pytest.raises(SystemExit, match=r"no lectures/ folder in .*pass --root"):
        course_root(tmp_path)
    with pytest.raises(SystemExit, match="--port must be between 1 and 65535"):
        main(["start", "--port", "0", "--dry-run"])


def test_start_runs_jupyterlab_in_this_python_so_no_path_setup_is_needed():
    command = start_command(8888, REPO)
    assert command[:4] == [sys.executable, "-m", "jupyter", "lab"]


def test_info_names_the_version_the_device_and_the_data_folders(capsys):
    import course

    assert main(["info"]) == 0
    printed = capsys.readouterr().out
    assert f"course {course.__version__}" in printed and "device: " in printed and "cache: " in printed


def test_the_console_script_and_make_start_run_the_same_entry_point():
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["course"] == "course.__main__:main"
    plan = subprocess.run(["make", "-n", "-s", "start", "PORT=9124"], cwd=REPO, capture_output=True, text=True,
                          check=True).stdout
    assert "-m course start --port=9124" in plan


@pytest.mark.skipif(f"{platform.system()}-{platform.machine()}" != "Linux-x86_64", reason="Linux x86-64 only")
@pytest.mark.parametrize("makefile", ["Makefile", "tools/student_edition/Makefile"])
def test_make_installs_the_cpu_build_of_torch_on_linux_x86_64_unless_cuda_is_asked_for(makefile):
    if (platform.system(), platform.machine()) != ("Linux", "x86_64"):
        pytest.skip("the CPU index is added on Linux x86-64 only")

    def torch_line(*args: str) -> str:
        plan = subprocess.run(["make", "-n", "-B", "-f", makefile, ".venv/.installed", *args], cwd=REPO,
                              capture_output=True, text=True, check=True).stdout
        return next(line for line in plan.splitlines() if "torch" in line and "pip install" in line)

    # RESOLVES=yes / RESOLVES= stand in for the index host resolving or not (the check makes no request)
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in torch_line("RESOLVES=yes")
    assert "download.pytorch.org" not in torch_line("RESOLVES=")  # behind a mirror: no 5 retries per package
    assert "download.pytorch.org" not in torch_line("TORCH=cuda", "RESOLVES=yes")


def test_the_conda_environments_get_cpu_torch_from_conda_and_only_developers_get_the_tools():
    import yaml

    def read(name: str) -> tuple[list[str], list[str]]:
        spec = yaml.safe_load((REPO / name).read_text())
        conda = [d for d in spec["dependencies"] if isinstance(d, str)]
        pip = next(d["pip"] for d in spec["dependencies"] if isinstance(d, dict))
        return conda, pip

    student_conda, student_pip = read("environment.yml")
    dev_conda, dev_pip = read("environment-dev.yml")
    for conda in (student_conda, dev_conda):
        assert "pytorch[version='>=2.2', build='cpu_*']" in conda  # from conda, not pip: one solver sees it
    assert student_pip == ["-e .[lab]"]
    assert dev_pip == ["-e ./grading", "-e .[instructor,dev,hub]"]
    names = {d.split(">=")[0].split("[")[0].split("=")[0] for d in student_conda}
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    wanted = {d.split(">=")[0] for d in project["dependencies"] + project["optional-dependencies"]["lab"]}
    conda_names = {"torch": "pytorch", "matplotlib": "matplotlib-base"}
    assert {conda_names.get(w, w) for w in wanted} <= names, "every dependency of the lab install comes from conda"
