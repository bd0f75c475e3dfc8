"""The search algorithms (built-ins: one module each; base.py holds the contract and registry).
Nothing is imported here, so a plugin process importing the shim stays light."""
