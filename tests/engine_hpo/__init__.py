"""Tests of the HPO algorithms (dlicli.engine.hpo): space, built-ins, Hyperband, plugin host."""
