"""The server as setup/run.sh starts it (setup/serve.sh) survives its own reloads (issue: the demo
server died on re-execution). Odoo re-executes itself on SIGHUP, when a worker hits its time limit and
after some module installs; the new process must find the same interpreter and packages.

Not an addon test: it checks the project's launcher, so it lives here and runs under pytest only."""
import os
import signal
import socket
import subprocess
import time
import urllib.request

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _answers(url):
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:
            return answer.status == 200
    except OSError:
        return False


def _wait_until_answering(url, process, output_path, seconds=90):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, "the server died:\n" + open(output_path, encoding="utf-8").read()[-3000:]
        if _answers(url):
            return
        time.sleep(0.5)
    raise AssertionError(f"the server did not answer {url} within {seconds} s")


def test_server_answers_again_after_sighup(pytestconfig, tmp_path):
    port = _free_port()
    url = f"http://127.0.0.1:{port}/web/health"
    output_path = tmp_path / "odoo.log"
    # PATH without the virtualenv, as in a plain shell or a service manager
    env = {key: value for key, value in os.environ.items() if key not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if ".venv" not in p)
    with open(output_path, "w", encoding="utf-8") as output:
        process = subprocess.Popen(
            [os.path.join(REPO_ROOT, "setup", "serve.sh"), "-c", pytestconfig.getoption("--odoo-config"),
             "-d", pytestconfig.getoption("--odoo-database"), "--http-port", str(port), "--max-cron-threads", "0",
             "--log-level", "warn"],
            stdout=output, stderr=subprocess.STDOUT, env=env, cwd=str(tmp_path),
        )
    try:
        _wait_until_answering(url, process, output_path)
        process.send_signal(signal.SIGHUP)  # Odoo stops its threads and re-executes itself (same pid)
        # its main loop looks at the signals it received between sleeps of up to 60 s
        deadline = time.monotonic() + 90
        while _answers(url) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _answers(url), "the server never went down for its reload"
        _wait_until_answering(url, process, output_path)
        time.sleep(2)  # a re-executed process missing its packages dies right after starting
        assert process.poll() is None, open(output_path, encoding="utf-8").read()[-3000:]
        assert "ModuleNotFoundError" not in open(output_path, encoding="utf-8").read()
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
