"""Campaigns as shards on a cluster: the folder layout (`layout`), shard checkpoints (`snapshot`),
the merged summary (`merge`) and the Ray driver (`ray_run`, the only module that imports ray).

A cluster folder DIR holds one ordinary run folder per shard, DIR/shards/K/, and a merged
DIR/summary.json; every downstream command expands DIR into its shard folders (`layout`).
"""
