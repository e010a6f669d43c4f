"""A new user's first hour (issue 42): every door answers in one line what to do, no traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def locust(tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    """Plain Locust on the scenarios, as the README shows it, against nothing (it must stop before sending)."""
    return subprocess.run(
        [sys.executable, "-m", "locust", "-f", str(REPO / "tests" / "load"), "--headless", "-u", "1", "-t", "1s",
         "--host", "https://127.0.0.1:9"],
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), **env}, cwd=tmp_path, capture_output=True, text=True,
        timeout=60, stdin=subprocess.DEVNULL,
    )


def one_line(proc: subprocess.CompletedProcess) -> str:
    said = [line for line in proc.stderr.splitlines() if line.startswith("gonogo load:")]
    assert len(said) == 1 and "Traceback" not in proc.stderr, proc.stderr[-2000:]
    return said[0]


@pytest.mark.parametrize(("content", "says"), [
    (None, "no accounts file at {path}: start the local box (`gonogo stack up`), or set GONOGO_ACCOUNTS_FILE"),
    ("{not json", "accounts file {path} cannot be read as JSON"),
    ('{"admin": [{"email": "a@x.test", "password": "p"}], "viewer": []}', "accounts file {path} has no 'viewer' accounts"),
    ('{"viewer": [{"email": "v@x.test", "password": "p"}], "evaluator": [{"email": "e@x.test", "password": "p"}], '
     '"admin": [{"email": "a@x.test"}]}', "accounts file {path}: admin[0] needs an email and a password"),
])
def test_locust_without_accounts_says_where_to_get_them_and_exits_4(tmp_path, content, says):
    path = tmp_path / "accounts.json"
    if content is not None:
        path.write_text(content)
    proc = locust(tmp_path, GONOGO_ACCOUNTS_FILE=str(path))
    assert proc.returncode == 4, proc.stderr[-2000:]
    line = one_line(proc)
    assert says.format(path=path) in line, line
    assert "evaluator" in line and "viewer" in line  # the format is said, every role


def test_locust_with_a_variable_that_is_not_a_number_names_it(tmp_path):
    path = tmp_path / "accounts.json"
    path.write_text(json.dumps({r: [{"email": f"{r}@x.test", "password": "p"}] for r in ("admin", "evaluator", "viewer")}))
    proc = locust(tmp_path, GONOGO_ACCOUNTS_FILE=str(path), GONOGO_LOAD_USER_RPS="fast")
    assert proc.returncode == 4, proc.stderr[-2000:]
    assert one_line(proc) == "gonogo load: GONOGO_LOAD_USER_RPS='fast' is not a number: set it to one, or unset it"


@pytest.fixture(scope="module")
def with_pytest_base_url(tmp_path_factory) -> Path:
    """A virtual environment that sees this one's packages (gonogo among them) plus pytest-base-url, as
    pytest-playwright or pytest-selenium would bring it."""
    import site
    import sysconfig

    venv = tmp_path_factory.mktemp("venv-base-url")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    # this environment's site-packages with their own .pth files (gonogo's editable install among them): whatever
    # interpreter made this one, --system-site-packages would give the base interpreter's instead
    mine = [p for p in site.getsitepackages() if Path(p).is_dir()]
    theirs = Path(subprocess.run([str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                                 capture_output=True, text=True, check=True).stdout.strip())
    assert sysconfig.get_python_version() in str(theirs)
    (theirs / "_this_environment.pth").write_text("".join(f"import site; site.addsitedir({p!r})\n" for p in mine))
    pip = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                          "pytest-base-url"], capture_output=True, text=True, timeout=300)
    assert pip.returncode == 0, pip.stdout + pip.stderr
    return venv / "bin" / "python"


def test_the_teams_own_suite_runs_beside_pytest_base_url(with_pytest_base_url, tmp_path):
    """Installed together, gonogo must not stop the team's unrelated suites (argparse: conflicting --base-url)."""
    (tmp_path / "test_theirs.py").write_text("def test_app(base_url):\n    assert base_url == 'https://app.example'\n")
    proc = subprocess.run([str(with_pytest_base_url), "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "--base-url=https://app.example", "test_theirs.py"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and "1 passed" in proc.stdout, proc.stdout[-2000:] + proc.stderr[-2000:]


@pytest.mark.parametrize("flag", ["--base-url", "--gonogo-base-url"])
def test_the_gate_takes_its_target_from_either_flag_beside_pytest_base_url(with_pytest_base_url, tmp_path, flag):
    from product_run import clean_env, copy_product

    import trustme

    product = copy_product(tmp_path)
    ca = product / ".gonogo" / "local" / "ca.pem"  # the local environment's CA, as a box would have left it
    ca.parent.mkdir(parents=True, exist_ok=True)
    trustme.CA().cert_pem.write_to_path(str(ca))
    proc = subprocess.run([str(with_pytest_base_url), "-m", "pytest", "tests/smoke", "-p", "no:cacheprovider",
                           "--env=local", f"{flag}=https://127.0.0.1:9"],
                          cwd=product, capture_output=True, text=True, timeout=120, env=clean_env())
    assert "gonogo: target unreachable: https://127.0.0.1:9/health" in proc.stdout, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert proc.returncode == 1


SYSTEM_PYTHON = Path("/usr/bin/python3")


def _session_is_the_stock_set_up() -> bool:
    """True when these tests themselves run from the repository's .venv made from the stock system Python."""
    config = Path(sys.prefix) / "pyvenv.cfg"
    if Path(sys.prefix).resolve() != (REPO / ".venv").resolve() or not config.exists():
        return False
    home = next((line.split("=", 1)[1].strip() for line in config.read_text().splitlines()
                 if line.split("=", 1)[0].strip() == "home"), "")
    return home == str(SYSTEM_PYTHON.parent)


@pytest.mark.slow
def test_set_up_and_unit_tests_on_the_stock_system_python(tmp_path):
    """README command 1's set-up with Debian's own Python first on PATH (PEP 668: it refuses pip outside a virtual
    environment), on a fresh clone; then a slice of the unit tier from the environment it made. CI (.ci/run) runs
    every tier under the system Python too: this is the README's first command as a new user types it."""
    managed = list(SYSTEM_PYTHON.parent.parent.glob("lib/python3*/EXTERNALLY-MANAGED"))
    if not SYSTEM_PYTHON.exists() or not managed:
        pytest.skip("this machine has no externally managed system Python to set up on")
    if _session_is_the_stock_set_up():
        pytest.skip("this session runs in the .venv scripts/setup.sh made from the stock system Python (CI's .ci/run): "
                    "every test of it is this proof, on its own clean clone")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(REPO), str(clone)], check=True, timeout=120)
    stock = {"PATH": "/usr/bin:/bin:/usr/sbin:/sbin", "HOME": str(Path.home()), "LANG": "C.UTF-8"}
    refused = subprocess.run([str(SYSTEM_PYTHON), "-m", "pip", "install", "--dry-run", "-q", "pytest"],
                             env=stock, capture_output=True, text=True, timeout=120)
    assert "externally-managed-environment" in refused.stderr, refused.stderr  # what the set-up has to get around
    setup = subprocess.run(["bash", "scripts/setup.sh"], cwd=clone, env=stock, capture_output=True, text=True, timeout=900)
    assert setup.returncode == 0, setup.stdout[-2000:] + setup.stderr[-3000:]
    assert "home = /usr/bin" in (clone / ".venv" / "pyvenv.cfg").read_text()
    tests = subprocess.run(
        [str(clone / ".venv" / "bin" / "python"), "-m", "pytest", "-c", "selftests/pytest.ini", "-q", "-p", "no:benchmark",
         "selftests/test_config.py", "selftests/test_rules.py", "selftests/test_loadgen.py"],
        cwd=clone, env=stock, capture_output=True, text=True, timeout=900)
    assert tests.returncode == 0 and " passed" in tests.stdout, tests.stdout[-3000:] + tests.stderr[-2000:]


def test_the_ci_example_runs_its_gate_steps_here_as_far_as_this_machine_allows(tmp_path):
    """examples/github-actions-release-gate.yml, its gate job's own steps in order on a workspace laid out as the
    runner lays it out: the API's checkout, the gate's checkout (this repository), the decide step verbatim with
    every secret and variable given a value, staging unreachable (no staging here: the loopback's closed port 9),
    then the job-summary step on the report it wrote. What needs GitHub (the actions, OIDC, ZAP's container) is
    not run."""
    import re

    import yaml

    workflow = yaml.safe_load((REPO / "examples" / "github-actions-release-gate.yml").read_text())
    job = workflow["jobs"]["gate"]
    workdir = job["defaults"]["run"]["working-directory"]
    checkouts = [s.get("with", {}) for s in job["steps"] if str(s.get("uses", "")).startswith("actions/checkout")]
    gate_checkout = next(c for c in checkouts if c.get("path") == workdir)
    assert gate_checkout["repository"].endswith("/gonogo")  # the gate's suites, gates.yaml and environments.yaml
    workspace = tmp_path / "workspace"
    subprocess.run(["git", "clone", "-q", str(REPO), str(workspace / workdir)], check=True, timeout=120)
    api = next(c for c in checkouts if c is not gate_checkout)["path"]
    (workspace / api).mkdir()
    (workspace / api / "requirements.lock").write_text("requests==2.32.3\n")

    def value(text: str) -> str:  # ${{ secrets.X }} / ${{ vars.X }} / ${{ github.workspace }} as the runner fills them
        text = text.replace("${{ github.workspace }}", str(workspace))
        return re.sub(r"\$\{\{\s*(secrets|vars)\.(\w+)\s*\}\}",
                      lambda m: "https://127.0.0.1:9" if m.group(2).endswith("_URL") else f"x-{m.group(2).lower()}", text)

    env = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "HOME": str(tmp_path),
           **{k: value(str(v)) for k, v in job["env"].items()}}
    env["STAGING_BASE_URL"] = "https://127.0.0.1:9"  # nothing listens: the gate must say so and decide nothing Go
    env["STAGING_MONGO_URL"] = "mongodb://127.0.0.1:9/"
    steps = {s.get("name"): s for s in job["steps"]}
    decide = steps["Decide Go/No-Go against staging"]["run"]
    gate = subprocess.run(["bash", "-c", decide], cwd=workspace / workdir, env=env, capture_output=True, text=True,
                          timeout=300)
    assert gate.returncode == 1, gate.stdout[-3000:] + gate.stderr[-2000:]  # No-Go: staging did not answer
    assert "gonogo: target unreachable: https://127.0.0.1:9/health" in gate.stdout, gate.stdout[-3000:]
    reports = workspace / workdir / "reports"
    assert (reports / "gate-report.json").exists() and (reports / "junit.xml").exists()  # what the next steps read
    upload = next(s for s in job["steps"] if str(s.get("uses", "")).startswith("actions/upload-artifact"))
    assert (workspace / upload["with"]["path"]) == reports.parent / "reports/"
    summary_file = tmp_path / "summary.md"
    summary = subprocess.run(["bash", "-c", steps["Verdict in the job summary"]["run"]], cwd=workspace / workdir,
                             env={**env, "GITHUB_STEP_SUMMARY": str(summary_file)}, capture_output=True, text=True,
                             timeout=60)
    assert summary.returncode == 0, summary.stderr
    said = summary_file.read_text()
    assert said.startswith("## gonogo: no-go") and "| load.latency.p95 | K1 | inconclusive |" in said, said[:2000]
