"""Example job functions for worker.py: `worker.py echo.echo ...`, `worker.py echo.square ...`."""


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
