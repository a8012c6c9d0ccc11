"""analyze --engine spark --spark-remote sc://HOST:PORT (Spark Connect) gives the DuckDB answer:
a real Spark Connect server (PySpark's own jars, local[2], bound to 127.0.0.1) started once for
the module, the CLI run against it on the sample incident and on test_spark's scenario, each on
a copy of a database analysed by DuckDB, compared with test_spark's tables() / assert_same()
(every table Spark computes, row for row, to the cent). The analysis runs on the server (its jobs
carry the session's id) and the CLI releases its server session at the end. A malformed Connect
URL is a one-line usage error. The Connect client never runs in the pytest process: the classic
session of conftest.spark may live there, so every Connect run is a CLI subprocess."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from analyzer.analysis.pipeline import analyze
from analyzer.db import Database
from analyzer.errors import ExitCode
from tests.test_spark import assert_same, scenario_db, tables

pytestmark = [pytest.mark.spark, pytest.mark.slow]

# a cold JVM plus the Connect service takes ~15 s here; a slow CI machine gets much longer
START_TIMEOUT_S = 120
_STARTED = re.compile(r"Spark Connect server started at: 127\.0\.0\.1:(\d+)")
_CLOSED = re.compile(r"Closing session with userId: \S* and sessionId: ([0-9a-f-]+)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def log_tail(path: Path, lines: int = 30) -> str:
    return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


@pytest.fixture(scope="module")
def connect_server(tmp_path_factory):
    """A Spark Connect server on 127.0.0.1 (its URL and its log), stopped with its process group."""
    import pyspark

    home = Path(pyspark.__file__).parent   # the wheel is a SPARK_HOME: bin/, jars/ (spark-connect_2.13)
    log = tmp_path_factory.mktemp("connect") / "server.log"
    port = free_port()
    command = [str(home / "bin" / "spark-submit"),
               "--class", "org.apache.spark.sql.connect.service.SparkConnectServer",
               "--master", "local[2]",
               "--conf", "spark.connect.grpc.binding.address=127.0.0.1",
               "--conf", f"spark.connect.grpc.binding.port={port}",
               "--conf", "spark.driver.host=127.0.0.1",
               "--conf", "spark.driver.bindAddress=127.0.0.1",
               "--conf", "spark.ui.enabled=false",
               # what spark_session gives a classic local run: 200 partitions of 20k rows cost seconds
               "--conf", "spark.sql.shuffle.partitions=8"]
    # no SPARK_*/PYSPARK_* of the pytest process (a classic session's) reaches the server
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SPARK_", "PYSPARK_"))}
    env.update(SPARK_HOME=str(home), SPARK_LOCAL_IP="127.0.0.1")
    started = time.monotonic()
    with open(log, "wb") as out:
        # its own process group: spark-submit's shell and the JVM it execs are killed together
        server = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                  env=env, start_new_session=True)
    try:
        # the port it really took (Spark moves to the next one when taken), then a connection to it
        while (m := _STARTED.search(log.read_text(encoding="utf-8", errors="replace"))) is None:
            if server.poll() is not None:
                pytest.fail(f"the Spark Connect server exited with {server.returncode}:\n{log_tail(log)}")
            if time.monotonic() - started > START_TIMEOUT_S:
                pytest.fail(f"no Spark Connect server after {START_TIMEOUT_S} s:\n{log_tail(log)}")
            time.sleep(0.25)
        socket.create_connection(("127.0.0.1", int(m.group(1))), timeout=5).close()
        print(f"Spark Connect server up in {time.monotonic() - started:.1f} s")
        yield f"sc://127.0.0.1:{m.group(1)}", log
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=30)


def connect_analyze(cli, db_path: Path, server) -> None:
    """analyze --engine spark on the Connect server, as a user runs it; the analysis ran there and
    its session was released."""
    url, log = server
    closed = set(_CLOSED.findall(log.read_text(encoding="utf-8", errors="replace")))
    result = cli("analyze", "--db", db_path, "--engine", "spark", "--spark-remote", url)
    assert result.code == 0, result.stdout + result.stderr + "\n--- server:\n" + log_tail(log)
    text = log.read_text(encoding="utf-8", errors="replace")
    released = set(_CLOSED.findall(text)) - closed
    assert len(released) == 1, released                 # session.stop() at the end of payments_engine
    session = released.pop()
    assert len(re.findall(rf'Got job \d+ \(Spark Connect - session_id: "{session}"', text)) > 10
    # the scratch Parquet the server wrote (a path shared with the client here) is removed
    assert not [p for p in Path(f"{db_path}.spark").glob("*/*") if p.is_dir()]


def test_sample_same_answer_on_connect(sample_db, truth, connect_server, cli, tmp_path):
    on_connect = tmp_path / "incident.duckdb"
    shutil.copy(sample_db, on_connect)       # over the DuckDB analysis
    connect_analyze(cli, on_connect, connect_server)
    duck, connect = tables(sample_db), tables(on_connect)
    assert_same(duck, connect)
    assert connect["summary"]["bad_change_id"] == truth["bad_change_id"]
    assert connect["summary"]["excess_total"] == truth["excess_total"]
    assert connect["summary"]["affected_txns"] == truth["affected_txns"] == len(connect["txns"]) > 0
    check = cli("check", "--db", on_connect)
    assert check.code == 0, check.stdout + check.stderr


def test_scenario_same_answer_on_connect(connect_server, cli, tmp_path):
    duck_path = scenario_db(tmp_path / "duck")
    with Database(duck_path) as db:
        analyze(db)
    on_connect = tmp_path / "connect" / "scenario.duckdb"
    on_connect.parent.mkdir()
    shutil.copy(duck_path, on_connect)
    connect_analyze(cli, on_connect, connect_server)
    duck, connect = tables(duck_path), tables(on_connect)
    assert_same(duck, connect)
    s = connect["summary"]
    assert (s["bad_change_id"], s["fix_change_id"]) == ("C2", "C4")   # C3, the partial fix, skipped
    assert s["excess_total"] == "319.50" and s["net_excess_total"] == "119.50"
    assert s["rows_duplicate"] == 2
    assert [r[0] for r in connect["payment_refunds"][1]] == ["P2", "P5", "PX"]


@pytest.mark.parametrize(("url", "message"), [
    ("http://x", "--spark-remote http://x: a Spark Connect URL is sc://HOST:PORT"),
    ("sc://:15002", "sc://:15002: not a Spark master URL"),
])
def test_malformed_connect_url_is_a_usage_error(tmp_path, cli, url, message):
    """Refused before any connection or JVM (no server needed): exit 2, one line."""
    db_path = scenario_db(tmp_path)
    result = cli("analyze", "--db", db_path, "--engine", "spark", "--spark-remote", url)
    assert result.code == ExitCode.USAGE_ERROR
    assert result.stderr.strip().count("\n") == 0 and message in result.stderr
