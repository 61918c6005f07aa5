"""The corpus: every failure saved as a self-contained folder, triaged by signature, reduced
with libcst passes, and replayable on any installed Warp (see docs/corpus.md).

The package re-exports nothing: callers import the module they need (`corpus.reduce`,
`corpus.replay`, `corpus.save`, `corpus.triage`), so importing one submodule never loads the others
(and no submodule's `from corpus import x` closes an import cycle through this file)."""
