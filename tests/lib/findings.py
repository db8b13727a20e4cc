# tests/lib/findings.py: shared by the script tests that read `macext ... --json` output
# (imported, not run; the scripts put tests/lib on PYTHONPATH).


def findings(doc):
    """Every object of DOC that has a "rule" and a "severity", wherever it sits."""
    if isinstance(doc, dict):
        if "rule" in doc and "severity" in doc:
            yield doc
        for v in doc.values():
            yield from findings(v)
    elif isinstance(doc, list):
        for v in doc:
            yield from findings(v)
