"""What the broker runs on: a Java 17+ runtime and the Apache Kafka jars.

The jars come from an unpacked Kafka tarball (``WARMCITY_STACK_KAFKA_HOME``) or are fetched once from
Maven Central with ``deploy/local/kafka/pom.xml`` into ``<kafka_cache_dir>/<version>/``. A fetch lands in a
temporary folder that is renamed into place only when Maven succeeded, so an interrupted fetch is never
mistaken for a complete one; the ``.complete`` marker inside says the folder is whole.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from pipeline.stack.model import Progress, StackError
from pipeline.stack.process import tail
from pipeline.stack.templates import DEPLOY_DIR

MIN_JAVA = 17
MARKER = ".complete"
_VERSION = re.compile(r"^[0-9][0-9A-Za-z.+-]{0,40}$")
_JAVA_VERSION = re.compile(r'version "(\d+)(?:\.(\d+))?')


def java_major(version_output: str) -> int | None:
    """The major version in ``java -version`` output ("1.8.0_x" is 8, "17.0.15" is 17), or None."""
    match = _JAVA_VERSION.search(version_output)
    if match is None:
        return None
    major = int(match.group(1))
    return int(match.group(2) or 0) if major == 1 else major


def find_java() -> str:
    """The ``java`` to run the broker with ($JAVA_HOME first, then PATH), checked to be 17 or newer."""
    java_home = os.environ.get("JAVA_HOME")
    java = str(Path(java_home) / "bin" / "java") if java_home else shutil.which("java")
    if java is None or not os.access(java, os.X_OK):
        raise StackError(
            f"Java {MIN_JAVA} or newer not found: no java on PATH or in JAVA_HOME "
            "(run deploy/local/setup.sh or install openjdk-17-jre-headless)"
        )
    try:
        run = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise StackError(f"Java {MIN_JAVA} or newer not found ({java} -version failed: {exc})") from exc
    printed = (run.stderr + run.stdout).strip()
    major = java_major(printed)
    if major is None or major < MIN_JAVA:
        first = printed.splitlines()[0] if printed else "nothing"
        raise StackError(f"Java {MIN_JAVA} or newer not found ({java} -version printed {first!r})")
    return java


def kafka_libs(kafka_home: Path | None, version: str, cache_dir: Path, log: Path, progress: Progress) -> Path:
    """The folder of the broker's jars, fetched first if needed."""
    if kafka_home is not None:
        libs = kafka_home.expanduser() / "libs"
        if not any(libs.glob("kafka_2.*.jar")):
            raise StackError(
                f"WARMCITY_STACK_KAFKA_HOME={kafka_home} does not look like an unpacked Kafka tarball "
                f"(no kafka_2.*.jar in {libs})"
            )
        return libs
    if not _VERSION.match(version):
        raise StackError(f"WARMCITY_STACK_KAFKA_VERSION={version!r} is not a Kafka version like 4.1.1")
    target = cache_dir.expanduser().resolve() / version
    if (target / MARKER).exists():
        return target
    progress(f"fetching Kafka {version} jars with Maven (first run only)...")
    _fetch(version, target, log)
    return target


def _fetch(version: str, target: Path, log: Path) -> None:
    mvn = shutil.which("mvn")
    if mvn is None:
        raise StackError(
            "Maven (mvn) not found, needed once to fetch the Kafka jars: run deploy/local/setup.sh, "
            "or set WARMCITY_STACK_KAFKA_HOME to an unpacked Apache Kafka tarball"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{version}.partial-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    command = [
        mvn, "-q", "-B", "-Dstyle.color=never", "-f", str(DEPLOY_DIR / "kafka" / "pom.xml"),
        "dependency:copy-dependencies", f"-DoutputDirectory={partial}", "-DincludeScope=runtime",
        f"-Dkafka.version={version}",
    ]  # fmt: skip
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        try:
            code = subprocess.run(command, stdout=out, stderr=subprocess.STDOUT, timeout=900, check=False)
        except subprocess.TimeoutExpired as exc:
            shutil.rmtree(partial, ignore_errors=True)
            raise StackError(f"Maven did not fetch Kafka {version} within 15 minutes: see {log}") from exc
    if code.returncode != 0 or not any(partial.glob("kafka_2.*.jar")):
        shutil.rmtree(partial, ignore_errors=True)
        raise StackError(
            f"Maven could not fetch Kafka {version} (exit code {code.returncode}; is Maven Central "
            f"reachable, does that version exist?); last lines of {log}:\n{tail(log)}"
        )
    (partial / MARKER).write_text(f"kafka {version}\n")
    # An incomplete leftover is replaced; a complete one (a concurrent fetch won) is kept.
    if target.exists() and not (target / MARKER).exists():
        shutil.rmtree(target)
    try:
        partial.rename(target)
    except OSError:
        shutil.rmtree(partial, ignore_errors=True)
