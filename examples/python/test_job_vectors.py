#!/usr/bin/python3
"""Runs the shared job payload vectors (docs/job-vectors.tsv) through worker.py's parser.

    /usr/bin/python3 examples/python/test_job_vectors.py [docs/job-vectors.tsv]

Exit 0 when every vector passes; otherwise one line per failure on stderr and exit 1. The Java suite runs it
(JobVectorsTest); the Java and C parsers run the same file.
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import worker  # noqa: E402

DEFAULT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs", "job-vectors.tsv")


def unescape(field):
    """A field of the file: as written, except %XX stands for that byte."""
    return re.sub(rb"%([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), field.encode("latin-1"))


def vectors(path):
    with open(path, encoding="latin-1") as f:
        for number, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            yield number, [unescape(field) for field in line.split("\t")]


def check(fields):
    """Returns None when the parser agrees with the vector, else what went wrong."""
    verdict, payload = fields[0], fields[1]
    try:
        headers, data = worker.parse_job(payload)
    except worker.MalformedJob as e:
        return None if verdict == b"bad" else "refused: %s" % e
    if verdict == b"bad":
        return "accepted: headers %r, data %r" % (headers, data)
    want_headers = [(fields[i].decode("utf-8"), fields[i + 1].decode("utf-8")) for i in range(3, len(fields), 2)]
    got_headers = list(dict(headers).items())   # a repeated name: the last value, at its first place
    if got_headers != want_headers:
        return "headers %r, want %r" % (got_headers, want_headers)
    if data != fields[2]:
        return "data %r, want %r" % (data, fields[2])
    return None


def main(argv):
    path = argv[1] if len(argv) > 1 else DEFAULT
    failures = count = 0
    for number, fields in vectors(path):
        count += 1
        problem = check(fields)
        if problem:
            failures += 1
            sys.stderr.write("%s:%d: %r: %s\n" % (path, number, fields[1], problem))
    print("%d vectors, %d failures" % (count, failures))
    return 1 if failures or count == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
