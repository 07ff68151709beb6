"""Server settings: local-only by default, no tracebacks for users, a bounded upload."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib

from pages import common
from tests.security.helpers import ROOT

#: Streamlit's settings as ``streamlit run dashboard.py`` sees them from another folder.
#: ``streamlit run`` records the script's path before reading config (streamlit/web/cli.py
#: sets ``config._main_script_path``), and the script's own ``.streamlit/config.toml``
#: then applies whatever the working folder.
SETTINGS_SEEN = """
import json, sys
from streamlit import config
config._main_script_path = sys.argv[1]
config.get_config_options(force_reparse=True)
names = ("server.address", "client.showErrorDetails", "server.maxUploadSize")
print(json.dumps({name: config.get_option(name) for name in names}))
"""


def test_config_hides_tracebacks_listens_locally_and_bounds_uploads():
    settings = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert settings["client"]["showErrorDetails"] == "none"
    assert settings["server"]["address"] == "127.0.0.1"
    assert settings["server"]["maxUploadSize"] == common.UPLOAD_MAX_MB


def test_the_settings_apply_when_the_server_starts_from_another_folder(tmp_path):
    done = subprocess.run(
        [sys.executable, "-c", SETTINGS_SEEN, str(ROOT / "dashboard.py")],
        cwd=tmp_path,
        env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(done.stdout) == {
        "server.address": "127.0.0.1",
        "client.showErrorDetails": "none",
        "server.maxUploadSize": common.UPLOAD_MAX_MB,
    }


def test_the_dashboard_command_listens_on_this_machine_unless_told():
    script = (ROOT / "scripts" / "run-dashboard.sh").read_text()
    assert 'scripts/serve.py --server.address "${DASHBOARD_ADDRESS:-127.0.0.1}" "$@"' in script
    # serve.py passes its options to `streamlit run` on the repository's dashboard.py, so
    # the settings above apply however it is started.
    serve = (ROOT / "scripts" / "serve.py").read_text()
    assert 'sys.argv = ["streamlit", "run", str(ROOT / "dashboard.py"), *sys.argv[1:]]' in serve
