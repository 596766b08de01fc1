"""train-all through a TLS-only Dask cluster, set up as docs/cluster.md ("Scaling out") says.

A CA and one certificate (for 127.0.0.1) are made here with `cryptography`; `dask scheduler`
and `dask worker` run as their own processes, bound to 127.0.0.1, configured by the
``DASK_DISTRIBUTED__COMM__*`` variables of the recipe with encryption required; the scheduler
writes its address to a scheduler file and train-all reads it from there (``--scheduler-file``).
Nothing connects anywhere but loopback.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from randrnn.cli import app
from randrnn.store import Study

x509 = pytest.importorskip("cryptography.x509")
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

ROOT = Path(__file__).resolve().parents[2]


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def make_certificates(folder: Path) -> dict[str, Path]:
    """A CA (ca.pem) and one certificate signed by it for 127.0.0.1 / localhost (cert.pem,
    key.pem), usable as server and client certificate: what `openssl` makes in docs/cluster.md."""
    now = datetime.datetime.now(datetime.UTC)
    valid = {"not_valid_before": now - datetime.timedelta(minutes=5),
             "not_valid_after": now + datetime.timedelta(days=1)}  # fmt: skip
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder(
            subject_name=_name("randrnn test CA"),
            issuer_name=_name("randrnn test CA"),
            public_key=ca_key.public_key(),
            serial_number=x509.random_serial_number(),
            **valid,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder(
            subject_name=_name("127.0.0.1"),
            issuer_name=ca.subject,
            public_key=key.public_key(),
            serial_number=x509.random_serial_number(),
            **valid,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    paths = {"ca": folder / "ca.pem", "cert": folder / "cert.pem", "key": folder / "key.pem"}
    paths["ca"].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths["cert"].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths["key"].write_bytes(_pem_key(key))
    return paths


def tls_settings(certs: dict[str, Path]) -> dict[str, str]:
    """docs/cluster.md's environment variables: one CA, the certificate for every role, and
    encryption required (a plain tcp:// connection is refused)."""
    env = {"DASK_DISTRIBUTED__COMM__REQUIRE_ENCRYPTION": "True",
           "DASK_DISTRIBUTED__COMM__TLS__CA_FILE": str(certs["ca"])}  # fmt: skip
    for role in ("SCHEDULER", "WORKER", "CLIENT"):
        env[f"DASK_DISTRIBUTED__COMM__TLS__{role}__CERT"] = str(certs["cert"])
        env[f"DASK_DISTRIBUTED__COMM__TLS__{role}__KEY"] = str(certs["key"])
    return env


def _wait_for(path: Path, procs: list[subprocess.Popen], seconds: float) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for proc in procs:
            assert proc.poll() is None, f"{proc.args[2]} exited with {proc.returncode}"
        try:
            return json.loads(path.read_text())
        except (OSError, ValueError):
            time.sleep(0.2)
    raise AssertionError(f"{path} not written within {seconds} s")


@pytest.fixture
def tls_cluster(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A TLS scheduler and one single-threaded worker on 127.0.0.1; yields the scheduler file
    (the client side reads the same settings from the environment)."""
    import dask.config

    certs = make_certificates(tmp_path)
    env = tls_settings(certs)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    dask.config.refresh()  # this process (the client) reads them too
    scheduler_file = tmp_path / "scheduler.json"
    child = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}  # fmt: skip
    logs = tmp_path / "logs"
    logs.mkdir()
    commands = [
        ["scheduler", "--host", "127.0.0.1", "--port", "0", "--protocol", "tls",
         "--no-dashboard", "--scheduler-file", str(scheduler_file)],
        ["worker", "--scheduler-file", str(scheduler_file), "--host", "127.0.0.1",
         "--nthreads", "1", "--no-nanny", "--no-dashboard", "--local-directory",
         str(tmp_path / "worker"), "--death-timeout", "60"],
    ]  # fmt: skip
    procs: list[subprocess.Popen] = []
    try:
        for args in commands:
            log = (logs / f"{args[0]}.log").open("w")
            procs.append(subprocess.Popen(
                [sys.executable, "-m", "dask", *args], env=child, stdout=log,
                stderr=subprocess.STDOUT, cwd=tmp_path,
            ))  # fmt: skip
        info = _wait_for(scheduler_file, procs, 60)
        assert info["address"].startswith("tls://127.0.0.1:")  # loopback only, TLS only
        yield scheduler_file  # tasks wait on the scheduler until the worker has joined
    finally:
        for proc in reversed(procs):
            proc.terminate()
        for proc in reversed(procs):
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
        monkeypatch.undo()
        dask.config.refresh()


@pytest.mark.slow
def test_train_all_through_a_tls_scheduler_stores_every_run_once(
    tls_cluster: Path, tmp_path: Path
) -> None:
    """2 graphs × 1 cell × 1 epoch through the TLS cluster: both runs done, each stored once,
    no warning (the address is tls://); a second train-all finds nothing left to do."""
    study = tmp_path / "study"
    runner = CliRunner()
    result = runner.invoke(app, ["generate", "--n", "2", "--nodes", "10:14", "--study",
                                 str(study)])  # fmt: skip
    assert result.exit_code == 0, result.output
    args = ["train-all", "--study", str(study), "--cells", "gru", "--epochs", "1",
            "--max-train", "200", "--max-test", "100", "--scheduler-file", str(tls_cluster)]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "warning" not in result.stderr
    assert "2 runs finished, 0 failed" in result.output
    with Study.open(study) as st:
        runs = sorted((r["graph_id"], r["cell"], r["replicate"], r["status"]) for r in st.runs())
        graphs = sorted(st.graph_ids())
    assert runs == [(gid, "gru", 0, "done") for gid in graphs] and len(graphs) == 2
    again = runner.invoke(app, args)  # nothing is trained twice
    assert again.exit_code == 0 and "nothing left to do" in again.output
    with Study.open(study) as st:
        assert len(st.runs()) == 2
