"""Example job functions for worker.py: `worker.py echo.echo ...`, `worker.py echo.square ...`."""
import time


def echo(job):
    return job.data


def square(job):
    """The square of a decimal number: "4" -> "16", "-3" -> "9", "1.5" -> "2.25"."""
    text = job.data.decode("utf-8", "replace")
    try:
        return str(int(text) ** 2)
    except ValueError:
        pass
    try:
        return repr(float(text) ** 2)
    except (ValueError, OverflowError):
        raise ValueError("not a number: %s" % text) from None


def hooks(job):
    """For the worker contract tests (as TestTargets::hooks in Java and powerhose-worker-echo in C): a header
    sleep_ms sleeps that long first; a header answer:budget answers job.budget_ms instead of the data."""
    if "sleep_ms" in job.headers:
        time.sleep(int(job.headers["sleep_ms"]) / 1000.0)
    if job.headers.get("answer") == "budget":
        return str(job.budget_ms)
    return job.data
