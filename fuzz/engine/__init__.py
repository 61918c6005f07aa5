"""The execution layer: Warp modules, the runner, the judge, results and the campaign store.

Everything that builds, launches and judges a batch lives here, below `corpus/` and the rest of
`fuzz/` (commands, campaign, export, report), which call it through its public names only.
It may import `grammar` and `oracle`, never `corpus` or the rest of `fuzz`.
"""
