"""JupyterHub for one course with nbgrader's exchange: instructors grade, students fetch and submit.

Run as root on the course machine (it creates each user's server as that Unix user):

    COURSE_INSTRUCTORS=ana COURSE_STUDENTS=s001,s002 jupyterhub -f deploy/jupyterhub/jupyterhub_config.py

Every setting comes from an environment variable with a default, so the same file serves a real term and the
end-to-end test (tests/test_hub.py), which starts it on 127.0.0.1 with throw-away Unix users.

- Accounts: local Unix users (PAM) listed in COURSE_INSTRUCTORS and COURSE_STUDENTS; create them with
  home folders only their owner can read (`useradd -m -K HOME_MODE=0700 NAME`).
- The exchange: one folder all users reach (COURSE_EXCHANGE, default /srv/nbgrader/exchange, mode 1777).
- Roles: instructors get formgrader and the course folder (COURSE_ROOT, default ~/course); students get only
  the Assignments tab. Each group's Jupyter configuration is a folder beside this file (instructor/, student/),
  put first on the server's JUPYTER_CONFIG_PATH.
- The course image: the machine's Python environment with this repository installed (`make install`, or the
  wheel and the grading package); on Kubernetes see z2jh-values.yaml.
"""

import os
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _names(variable: str) -> list[str]:
    return [n.strip() for n in os.environ.get(variable, "").split(",") if n.strip()]


instructors, students = _names("COURSE_INSTRUCTORS"), _names("COURSE_STUDENTS")
course_id = os.environ.get("COURSE_ID", "dl-course")
exchange = os.environ.get("COURSE_EXCHANGE", "/srv/nbgrader/exchange")

c = get_config()  # noqa: F821 - provided by JupyterHub when it loads this file
c.JupyterHub.ip = os.environ.get("COURSE_HUB_IP", "0.0.0.0")
c.JupyterHub.port = int(os.environ.get("COURSE_HUB_PORT", "8000"))
c.JupyterHub.hub_port = int(os.environ.get("COURSE_HUB_API_PORT", "8081"))
c.JupyterHub.hub_ip = "127.0.0.1"
state = Path(os.environ.get("COURSE_HUB_STATE", "/srv/jupyterhub"))
c.JupyterHub.cookie_secret_file = str(state / "jupyterhub_cookie_secret")
c.JupyterHub.db_url = f"sqlite:///{state / 'jupyterhub.sqlite'}"
c.ConfigurableHTTPProxy.pid_file = str(state / "jupyterhub-proxy.pid")

# Who may log in, and in which group. PAM checks Unix passwords; the test swaps in a dummy password.
c.Authenticator.allowed_users = set(instructors + students)
c.Authenticator.admin_users = set(instructors)
c.JupyterHub.load_groups = {"instructors": {"users": instructors}, "students": {"users": students}}
if os.environ.get("COURSE_HUB_DUMMY_PASSWORD"):
    c.JupyterHub.authenticator_class = "dummy"
    c.DummyAuthenticator.password = os.environ["COURSE_HUB_DUMMY_PASSWORD"]
else:
    c.JupyterHub.authenticator_class = "pam"

# An API token for the course's scripts (and the test), with the rights to start and stop servers.
if os.environ.get("COURSE_HUB_API_TOKEN"):
    c.JupyterHub.services = [{"name": "course-admin", "api_token": os.environ["COURSE_HUB_API_TOKEN"]}]
    c.JupyterHub.load_roles = [
        {
            "name": "course-admin",
            "scopes": ["admin:users", "admin:servers", "list:users", "access:servers"],
            "services": ["course-admin"],
        },  # fmt: skip
    ]

# Each user's server: JupyterLab as that Unix user, in their home, with their group's configuration.
c.Spawner.default_url = "/lab"
c.Spawner.notebook_dir = "~"
c.Spawner.cmd = [os.environ.get("COURSE_SINGLEUSER", "jupyterhub-singleuser")]
c.Spawner.http_timeout = 60


def _group_config(spawner) -> None:
    role = "instructor" if spawner.user.name in instructors else "student"
    spawner.environment["JUPYTER_CONFIG_PATH"] = str(HERE / role)
    spawner.environment["COURSE_ID"] = course_id
    spawner.environment["COURSE_EXCHANGE"] = exchange
    spawner.environment["MPLBACKEND"] = "Agg"
    for name in ("PATH", "OMP_WAIT_POLICY"):
        if name in os.environ:
            spawner.environment[name] = os.environ[name]


c.Spawner.pre_spawn_hook = _group_config
