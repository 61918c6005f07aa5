"""Test-only code that runs inside warpfuzz's own processes: fault-injection worker plugins
(`faults`) and deliberately wrong oracle registries (`wrong_oracles`). Importable as
`tests.support...` with the repository root on the path (`python -m pytest` from the root; child
processes get it through PYTHONPATH, spawned workers through the parent's sys.path)."""
