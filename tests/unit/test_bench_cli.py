"""``warmcity bench pipeline`` on the command line: its options, and refusing what it cannot run."""

from __future__ import annotations

from click.testing import CliRunner

from pipeline.cli.main import cli


def test_help_names_every_option() -> None:
    result = CliRunner().invoke(cli, ["bench", "pipeline", "--help"])
    assert result.exit_code == 0, result.output
    for option in ("--events", "--phases", "--seconds", "--warmup", "--keep", "--output", "--watchlist"):
        assert option in result.stdout
    assert "(c)/(a')" in result.stdout
    for option in ("--rate", "--latency-inject-every", "--latency-subjects", "--latency-tail",
                   "--memory-watchlist", "--memory-events", "--plot / --no-plot"):  # fmt: skip
        assert option in result.stdout, option
    assert "d (latency" in " ".join(result.stdout.split()) and "e (memory" in " ".join(result.stdout.split())


def test_bench_lists_the_pipeline_command() -> None:
    result = CliRunner().invoke(cli, ["bench", "--help"])
    assert result.exit_code == 0 and "pipeline" in result.stdout and "simulate" in result.stdout


def test_an_unknown_phase_is_refused_before_anything_starts() -> None:
    result = CliRunner().invoke(cli, ["bench", "pipeline", "--phases", "a,x"])
    assert result.exit_code == 2
    assert "unknown phase(s) x" in result.output
